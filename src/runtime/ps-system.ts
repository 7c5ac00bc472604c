import { readFileSync } from 'node:fs';
import { builtin } from '../core/builtin.js';
import type { PortOwner, ProcInfo, System } from './system.js';

/**
 * child_process is loaded on first use: this module is imported on every platform (the
 * System is chosen at run time) but only used where /proc is missing.
 */
function loadChildProcess(): typeof import('node:child_process') {
  return builtin('node:child_process');
}

/**
 * System over `ps` and `lsof`, for machines without `/proc` (macOS). Each answer costs a
 * child process (~5 ms), so bulk reads (`table`, `environs`) use one `ps` run for all PIDs.
 * The start time is `ps -o lstart=` (second resolution, local time), which is a different
 * format from Linux's clock ticks: never compare identities across System kinds.
 */
export function createPsSystem(): System {
  let cachedBootId: string | undefined;

  function proc(pid: number): ProcInfo | undefined {
    return psTable(['-p', String(pid)]).find((p) => p.pid === pid);
  }

  function cmdline(pid: number): string | undefined {
    return commands([pid]).get(pid);
  }

  function environs(pids: number[]): Map<number, Record<string, string>> {
    const out = new Map<number, Record<string, string>>();
    if (pids.length === 0) return out;
    const plain = commands(pids);
    const withEnv = commands(pids, true);
    for (const [pid, full] of withEnv) {
      const command = plain.get(pid);
      if (command === undefined || !full.startsWith(command)) continue;
      const env = parseSpacedEnv(full.slice(command.length));
      if (Object.keys(env).length > 0) out.set(pid, env);
    }
    return out;
  }

  function portOwners(port: number): PortOwner[] {
    const out = run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']);
    const seen = new Set<number>();
    for (const line of out.split('\n')) {
      if (line.startsWith('p')) seen.add(Number(line.slice(1)));
    }
    const names = commands([...seen]);
    return [...seen].map((pid) => ({ pid, command: names.get(pid) ?? '?' }));
  }

  return {
    kind: 'ps',
    bootId() {
      cachedBootId ??= readBootId();
      return cachedBootId;
    },
    proc,
    pids: () => psTable(['-A']).map((p) => p.pid),
    environ: (pid) => environs([pid]).get(pid),
    cmdline,
    portOwners,
    table: () => psTable(['-A']),
    environs,
  };
}

/**
 * `ps` prints lstart in the caller's locale and time zone; a start time must read the same
 * to every later uiprocs run (another TZ, DST, a translated month), so ps runs in C/UTC.
 */
const PS_ENV = { ...process.env, LC_ALL: 'C', TZ: 'UTC0' };

function run(file: string, args: string[]): string {
  const result = loadChildProcess().spawnSync(file, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: PS_ENV,
  });
  // ps exits 1 when a PID is not found and lsof when nothing matches: both mean "none".
  return result.stdout ?? '';
}

function psTable(select: string[]): ProcInfo[] {
  const out = run('ps', [...select, '-o', 'pid=,ppid=,pgid=,sess=,stat=,rss=,time=,lstart=']);
  const rows: ProcInfo[] = [];
  for (const line of out.split('\n')) {
    const info = parsePsLine(line);
    if (info) rows.push(info);
  }
  return rows;
}

/**
 * One `ps -o pid=,ppid=,pgid=,sess=,stat=,rss=,time=,lstart=` row; lstart is the rest of
 * the line. rss is in KiB; time is the CPU time used (see cpuTimeTicks).
 */
export function parsePsLine(line: string): ProcInfo | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
  if (!m) return undefined;
  const cpuTicks = cpuTimeTicks(m[7]!);
  return {
    pid: Number(m[1]),
    ppid: Number(m[2]),
    pgid: Number(m[3]),
    sid: Number(m[4]),
    state: m[5]!.charAt(0),
    startTime: startToken(m[8]!),
    rssBytes: Number(m[6]) * 1024,
    ...(cpuTicks === undefined ? {} : { cpuTicks }),
  };
}

/**
 * `ps -o time=` as ticks of 1/100 s: `[[dd-]hh:]mm:ss[.cc]`. macOS prints hundredths
 * (`0:01.25`); procps on Linux whole seconds (`00:00:01`), so CPU shares from the forced
 * fallback there are coarse. undefined for anything else.
 */
export function cpuTimeTicks(text: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return Math.round(seconds * 100);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * lstart (`Thu Nov 26 05:52:26 2026`, UTC) as one space-free token, `2026-11-26T05:52:26Z`:
 * run records hold start times as single words (record-shape.ts), and a raw lstart with its
 * spaces made every record write fail on this fallback. Anything unexpected keeps its text,
 * with whitespace joined by `_`, so it still compares equal to itself.
 */
export function startToken(lstart: string): string {
  const m = /^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{2}:\d{2}:\d{2})\s+(\d{4})$/.exec(lstart.trim());
  const month = m ? MONTHS.indexOf(m[1]!) : -1;
  if (!m || month < 0) return lstart.trim().split(/\s+/).join('_');
  return `${m[4]}-${String(month + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}T${m[3]}Z`;
}

/** Full command lines (`ww`: no truncation); with `withEnv`, BSD `e` appends the environment. */
function commands(pids: number[], withEnv = false): Map<number, string> {
  const out = new Map<number, string>();
  if (pids.length === 0) return out;
  const text = run('ps', [withEnv ? 'eww' : 'ww', '-o', 'pid=,command=', '-p', pids.join(',')]);
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+) (.*)$/.exec(line);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

/**
 * `ps e` prints the environment as `K=v K=v …` after the command, without quoting. A word
 * that does not look like `NAME=` continues the previous value (a value with spaces), which
 * is right for the tags uiprocs looks for and good enough for the rest.
 */
export function parseSpacedEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let last: string | undefined;
  for (const word of text.trim().split(' ')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (m) {
      last = m[1]!;
      env[last] = m[2]!;
    } else if (last !== undefined) {
      env[last] += ` ${word}`;
    }
  }
  return env;
}

/** macOS: `sysctl -n kern.boottime` (`{ sec = …, usec = … } …`); Linux: the kernel's boot id. */
function readBootId(): string {
  const boottime = run('sysctl', ['-n', 'kern.boottime']).trim();
  const m = /sec = (\d+), usec = (\d+)/.exec(boottime);
  if (m) return `boottime-${m[1]}.${m[2]}`;
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}
