/**
 * The command contract of DESIGN.md, command by command, through the built CLI with real
 * servers on free loopback ports: dry runs that change nothing, orphans, timeouts,
 * restart, ps and its --json/--check, the state files other tools read, and the ps/lsof
 * fallback agreeing with /proc.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { answers, type E2eProject, e2eProject, isGone, programs } from './harness.js';

const serve = join(programs, 'serve.mjs');

async function ps(p: E2eProject, env: Record<string, string> = {}): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

const pidsOf = (rows: StatusRow[]): Record<string, number | null> =>
  Object.fromEntries(rows.map((r) => [r.name, r.pid]));

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** A project with plain servers `names`, on free ports; `group` puts them in one group. */
async function servers(
  names: string[],
  group?: string,
): Promise<{ p: E2eProject; ports: Record<string, number> }> {
  const p = e2eProject();
  project = p;
  const ports: Record<string, number> = {};
  for (const n of names) ports[n] = await freePort();
  const manifest = (only: string[]) =>
    `services:\n${only
      .map(
        (n) =>
          `  ${n}: { command: node ${serve} ${ports[n]}, port: ${ports[n]}${group ? `, group: ${group}` : ''} }\n`,
      )
      .join('')}`;
  p.write(manifest(names));
  return { p, ports };
}

describe('up', () => {
  it('--dry-run prints the plan on stdout and changes nothing: no state dir, nothing started', async () => {
    const { p, ports } = await servers(['web', 'api']);
    const r = await p.run(['up', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('start        web  not running\nstart        api  not running\n');
    expect(existsSync(p.stateDir)).toBe(false);
    expect(p.tagged()).toEqual([]);
    expect(await answers(ports.web!)).toBe(false);
  });

  it('plain up leaves an orphan running with a note; down <orphan> and --remove-orphans stop it', async () => {
    const p = e2eProject();
    project = p;
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const line = (n: string, port: number) => `  ${n}: { command: node ${serve} ${port}, port: ${port} }\n`;
    p.write(`services:\n${line('a', a)}${line('b', b)}${line('c', c)}`);
    await p.ok(['up']);
    const before = pidsOf(await ps(p));
    p.write(`services:\n${line('a', a)}`);

    const plain = await p.run(['up']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain('b runs but is no longer in the manifest; --remove-orphans stops it');
    expect(plain.stderr).toContain('c runs but is no longer in the manifest');
    for (const port of [a, b, c]) expect(await answers(port)).toBe(true);

    const dry = await p.run(['up', '--remove-orphans', '--dry-run']);
    expect(dry.stdout).toContain('removed from manifest');
    expect(await answers(b)).toBe(true);

    const downB = await p.run(['down', 'b']);
    expect(downB.code, downB.stderr).toBe(0);
    expect(isGone(before.b!)).toBe(true);
    expect(isGone(before.a!)).toBe(false);
    expect(isGone(before.c!)).toBe(false);

    const remove = await p.run(['up', '--remove-orphans']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(isGone(before.c!)).toBe(true);
    expect(await answers(c)).toBe(false);
    expect(pidsOf(await ps(p))).toEqual({ a: before.a });
    expect(p.tagged()).toEqual([before.a]);
  });
});

describe('down', () => {
  it('--timeout 200ms kills a SIGTERM-ignoring server long before its stop_timeout: 30s, and says so', async () => {
    const p = e2eProject();
    project = p;
    const port = await freePort();
    p.write(
      `services:\n  stubborn: { command: node ${join(programs, 'ignore-sigterm.mjs')} ${port}, port: ${port}, stop_timeout: 30s }\n`,
    );
    await p.ok(['up']);
    const pid = p.record('stubborn')!.pid;

    const bogus = await p.run(['down', '--timeout', 'bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('--timeout bogus');
    expect(isGone(pid)).toBe(false);

    const t0 = performance.now();
    const down = await p.run(['down', '--timeout', '200ms']);
    const took = performance.now() - t0;
    expect(down.code, down.stderr).toBe(0);
    // 30 s is the manifest's; load on a shared 2-core box can add seconds, never 20.
    expect(took).toBeLessThan(10_000);
    expect(down.stderr).toMatch(/stubborn .*ignored SIGTERM; killed/);
    expect(isGone(pid)).toBe(true);
    expect(await answers(port)).toBe(false);
  });
});

describe('restart', () => {
  it('restart web gives web a new PID and leaves api alone; with nothing running it starts everything', async () => {
    const { p, ports } = await servers(['web', 'api']);
    const cold = await p.run(['restart']);
    expect(cold.code, cold.stderr).toBe(0);
    const first = pidsOf(await ps(p));
    expect(Object.values(first).every((pid) => typeof pid === 'number')).toBe(true);
    for (const port of Object.values(ports)) expect(await answers(port)).toBe(true);

    const r = await p.run(['restart', 'web']);
    expect(r.code, r.stderr).toBe(0);
    const second = pidsOf(await ps(p));
    expect(second.api).toBe(first.api);
    expect(second.web).not.toBe(first.web);
    expect(isGone(first.web!)).toBe(true);
    expect(await answers(ports.web!)).toBe(true);
    expect(p.tagged().sort()).toEqual(Object.values(second).sort());
  });
});

describe('ps', () => {
  it('table, --json fields, --check by target; stdout carries only data', async () => {
    const { p, ports } = await servers(['web', 'api'], 'ui');
    await p.ok(['up']);

    const table = await p.run(['ps']);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rest] = table.stdout.trimEnd().split('\n');
    // Under the rows, who holds the duties: the supervisor stamps their logs (nothing to restart).
    expect(rest.at(-1)).toMatch(/^supervisor: pid \d+, up \S+, stamping logs, nothing to keep alive$/);
    const lines = rest.slice(0, -1);
    expect(header!.split(/\s+/)).toEqual([
      'NAME',
      'GROUP',
      'STATUS',
      'PID',
      'PORT',
      'URL',
      'UPTIME',
      'CPU',
      'MEM',
      'RESTARTS',
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^web\\s+ui\\s+running\\s+\\d+\\s+${ports.web}\\s+http://127\\.0\\.0\\.1:${ports.web}/`),
    );

    const json = await p.run(['ps', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>; // all of stdout is JSON
    for (const row of rows) {
      for (const key of [
        'name',
        'group',
        'status',
        'pid',
        'port',
        'url',
        'started_at',
        'cpu_percent',
        'memory_bytes',
      ])
        expect(row).toHaveProperty(key);
      expect(row.processes).toBe(1);
      expect(row.status).toBe('running');
      expect(Number.isNaN(Date.parse(row.started_at as string))).toBe(false);
    }
    expect(rows.map((r) => r.pid).sort()).toEqual(p.tagged().sort());

    // Every data-printing command: stdout parses whole, progress stays on stderr.
    const config = await p.run(['config', '--json']);
    expect(() => JSON.parse(config.stdout)).not.toThrow();
    const up = await p.run(['up']);
    // up's data is its result: one `name  url` line per service with a port, nothing else.
    for (const line of up.stdout.split('\n').filter((l) => l !== ''))
      expect(line).toMatch(/^ {2}\S+\s+http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(up.stderr).toContain('everything is up to date');
    expect(up.stderr).not.toContain('http://');

    await p.ok(['ps', '--check', 'web']);
    const webPid = p.record('web')!.pid;
    const down = await p.run(['down', 'web']);
    expect(down.code, down.stderr).toBe(0);
    expect(isGone(webPid)).toBe(true);
    const check = await p.run(['ps', '--check', 'web']);
    expect(check.code).toBe(1);
    await p.ok(['ps', '--check', 'api']);
    expect((await p.run(['ps', '--check'])).code).toBe(1);
  });
});

describe('ps of processes no record describes', () => {
  it('a tagged server whose record was removed is untracked (with its PID), fails --check, and down stops it', async () => {
    const { p, ports } = await servers(['web', 'api']);
    await p.ok(['up']);
    const webPid = p.record('web')!.pid;
    // The record goes (a CLI killed before writing it looks the same); the server stays.
    rmSync(join(p.stateDir, 'run', 'web.json'));
    rmSync(join(p.stateDir, 'run', 'web.pid'));
    const rows = await ps(p);
    const web = rows.find((r) => r.name === 'web')!;
    expect(web).toMatchObject({ status: 'untracked', pid: webPid });
    expect(web.note).toContain(`${webPid}`);
    expect(rows.find((r) => r.name === 'api')!.status).toBe('running');
    const table = await p.run(['ps']);
    expect(table.stdout).toMatch(new RegExp(`web\\s+-\\s+untracked\\s+${webPid}`));
    const check = await p.run(['ps', '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('web (untracked)');

    await p.ok(['down']);
    expect(isGone(webPid)).toBe(true);
    expect(await answers(ports.web!)).toBe(false);
    expect((await ps(p)).map((r) => r.status)).toEqual(['stopped', 'stopped']);
  });
});

describe('state files', () => {
  it('state dir 0700 with a .gitignore; run/<name>.pid is the bare PID; run/<name>.json says who it is', async () => {
    const { p, ports } = await servers(['web']);
    await p.ok(['up']);
    expect(statSync(p.stateDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(p.stateDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const pidText = readFileSync(join(p.stateDir, 'run/web.pid'), 'utf8');
    expect(pidText).toMatch(/^\d+\n?$/);
    const record = JSON.parse(readFileSync(join(p.stateDir, 'run/web.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const key of ['pid', 'pgid', 'startTime', 'bootId', 'configHash', 'port', 'command', 'startedAt']) {
      expect(record).toHaveProperty(key);
    }
    expect(record.pid).toBe(Number(pidText));
    expect(record.pgid).toBe(record.pid); // its own process group (setsid)
    expect(record.port).toBe(ports.web);
    expect(record.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
    expect(record.startTime).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(p.tagged()).toEqual([record.pid]);
  });
});

describe('the ps/lsof fallback (UIPROCS_SYSTEM=ps)', () => {
  /**
   * The same story under each System: up, one service killed, one stopped. Each kind
   * reads the records it wrote (start times differ in format between kinds by design).
   */
  async function story(env: Record<string, string>): Promise<{ statuses: string[][]; truth: boolean }> {
    const { p } = await servers(['a', 'b', 'c']);
    const up = await p.run(['up'], env);
    expect(up.code, up.stderr).toBe(0);
    const running = await ps(p, env);
    const viaRecords = pidsOf(running);
    // The PIDs ps reports are the ones really running, as /proc sees them.
    const truth = JSON.stringify(Object.values(viaRecords).sort()) === JSON.stringify(p.tagged().sort());
    process.kill(viaRecords.a!, 'SIGKILL');
    await waitFor(() => isGone(viaRecords.a!));
    const down = await p.run(['down', 'b'], env);
    expect(down.code, down.stderr).toBe(0);
    const after = await ps(p, env);
    expect(pidsOf(after).c).toBe(viaRecords.c);
    const check = await p.run(['ps', '--check', 'c'], env);
    expect(check.code, check.stderr).toBe(0);
    const all = await p.run(['down'], env);
    expect(all.code, all.stderr).toBe(0);
    expect(p.tagged()).toEqual([]);
    await p.cleanup();
    project = undefined;
    return {
      statuses: [running.map((r) => r.status), after.map((r) => r.status)],
      truth,
    };
  }

  it('gives the same statuses as /proc, and the PIDs that really run', async () => {
    const proc = await story({});
    const fallback = await story({ UIPROCS_SYSTEM: 'ps' });
    expect(proc.statuses).toEqual([
      ['running', 'running', 'running'],
      ['exited', 'stopped', 'running'],
    ]);
    expect(fallback.statuses).toEqual(proc.statuses);
    expect(proc.truth).toBe(true);
    expect(fallback.truth).toBe(true);
  }, 90_000);
});
