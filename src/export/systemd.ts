/**
 * `uiprocs export systemd`: one `<project>-<service>.service` per service, a
 * `<project>-<group>.target` per group and a `<project>.target` that wants every enabled
 * service. A pure function of the resolved manifest.
 *
 * How the manifest maps (and where systemd differs):
 * - paths: every path under the project folder is written under `projectDir` (where the
 *   project lives on the target host; default the manifest's folder), see relocate.ts.
 * - command: a string runs as `/bin/sh -c "exec …"` (exec when it is one simple command,
 *   as uiprocs does, so the main PID is the server); an array runs as is. A program
 *   named without a path is written as the file `uiprocs up` would run (the resolver's
 *   answer, see executables.ts), and a comment says so; one not found is kept as written
 *   (through `/usr/bin/env` in an array, because systemd wants an absolute executable)
 *   and left to systemd's PATH, and the comment says that. The comments are also the
 *   record `--check` reads back (recordedExecutables), so a runner with another PATH
 *   compares everything else and does not call a fresh export stale.
 * - env: every resolved variable (env_file entries included, with uiprocs' precedence) as
 *   `Environment=`, plus PORT as uiprocs sets it. Not `EnvironmentFile=`: systemd lets an
 *   environment file override `Environment=`, the opposite of uiprocs, and its parser is
 *   not uiprocs'. So editing an env file means exporting again (`--check` tells).
 * - `port: auto`: systemd cannot pick a free port. The unit expects PORT from a drop-in
 *   (`systemctl edit <unit>`: `[Service]` `Environment=PORT=8600`) and refuses to start
 *   without one (ExecStartPre). `${PORT}` in the command is systemd's own substitution;
 *   env values that use the port are passed through `/usr/bin/env NAME=…` on ExecStart,
 *   because systemd substitutes variables there and not in `Environment=`.
 * - ready: tcp, http and command probes are looped in ExecStartPost until they pass,
 *   within TimeoutStartSec = ready.timeout, so `After=` waits for readiness like
 *   `condition: ready`. log and alive have no equivalent: the unit is up once started.
 * - healthcheck: systemd has no health checks (WatchdogSec= needs the server's own
 *   sd_notify pings): not mapped, said in a comment.
 * - depends_on: After= always; Requires= for `ready` and `completed`, Wants= for `started`.
 * - a one-shot task (isTask in core/model.ts): Type=oneshot + RemainAfterExit=yes, no start timeout,
 *   Restart=no; its dependents' After= then waits for its exit 0, and Requires= keeps
 *   them down when it fails.
 * - stop: KillMode=control-group (the whole cgroup, like uiprocs' group + tag sweep),
 *   KillSignal=stop_signal, TimeoutStopSec=stop_timeout, then SIGKILL.
 * - logs: StandardOutput/StandardError=append:<log>; the log's folder must exist, and
 *   rotation (max_size, keep) is left to logrotate.
 * - restart: Restart=no|on-failure|always (no when max_restarts is 0: uiprocs never
 *   restarts then), RestartSec=1s (uiprocs' first backoff delay; systemd does not double
 *   it). max_restarts N: StartLimitBurst=N+1 (the first start and N restarts) within
 *   StartLimitIntervalSec=N × 61s. uiprocs counts a restart streak until the service stays
 *   up 60 s; N+1 starts each less than 60 s + RestartSec apart fall in that window, and
 *   starts further apart do not, so systemd gives up where uiprocs would.
 * - limits: memory → MemoryMax=<bytes>, cpu → CPUQuota=<cores × 100>% (whole percents,
 *   rounded; the manifest's smallest cpu, 0.01, is 1%), processes → TasksMax= (systemd,
 *   like pids.max, counts threads), open_files → LimitNOFILE= (soft and hard). systemd
 *   holds them with the unit's own cgroup; in a user unit the first three hold only where
 *   the user manager has the memory, cpu and pids controllers delegated.
 * - disabled: the unit is written but no target wants it.
 *
 * Quoting follows systemd.syntax(7): arguments in double quotes with C escapes, `%` as
 * `%%` (specifiers) everywhere, `$` as `$$` in command lines (variable substitution).
 */
import type { Desired, Limits, Millis, ServiceSpec } from '../core/model.js';
import { AUTO_PORT_TOKEN, isTask } from '../core/model.js';
import { shellScript } from '../core/shell-command.js';
import { type Exported, type ExportFile, enabledServices, headerText, seconds, shWord } from './common.js';
import { lookedUpProgram, type ResolveExecutable } from './executables.js';
import { attemptScript, probeAttempt } from './probe.js';
import { relocate } from './relocate.js';

export interface SystemdOptions {
  /** A user unit (`systemctl --user`): the project target is wanted by default.target. */
  user: boolean;
  /** Absolute: where the project lives on the target host. Default: the manifest's folder. */
  projectDir?: string;
  /** The file each command's program is on the target host (see executables.ts). */
  resolve: ResolveExecutable;
}

/** What a unit runs for its command's program: the file found, or null (kept as written). */
interface Executable {
  program: string;
  path: string | null;
}

export const unitName = (project: string, service: string): string => `${project}-${service}.service`;
export const projectTarget = (project: string): string => `${project}.target`;
export const groupTarget = (project: string, group: string): string => `${project}-${group}.target`;

/** systemd's variable reference for the auto port, in command lines. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's own ${VAR} syntax
const PORT_REF = '${PORT}';

/** Said for a service with `watch:`: a unit cannot restart on edits. */
export const WATCH_NOTE =
  'watch: does not map: systemd restarts a unit on exit, not on file changes (a .path unit only starts one); use uiprocs up for the dev loop';

export function exportSystemd(manifest: Desired, opts: SystemdOptions): Exported {
  const desired = relocate(manifest, opts.projectDir ?? manifest.projectDir);
  const files: ExportFile[] = [];
  const warnings: string[] = [];
  for (const s of Object.values(desired.services)) {
    const original = manifest.services[s.name]!;
    const program = lookedUpProgram(original);
    const exe = program === null ? null : { program, path: opts.resolve(original, program) };
    const note = exe !== null ? executableNote(exe) : scriptOnSystemdPath(s) ? SCRIPT_NOTE : null;
    if (exe?.path === null)
      warnings.push(
        `systemd: ${s.name}: ${JSON.stringify(exe.program)} is not on the PATH uiprocs up uses here`,
      );
    if (note === SCRIPT_NOTE) warnings.push(`systemd: ${s.name}: ${SCRIPT_NOTE}`);
    if (s.watch !== undefined) warnings.push(`systemd: ${s.name}: ${WATCH_NOTE}`);
    files.push({
      name: unitName(desired.project, s.name),
      content: serviceUnit(desired, s, exe, note),
      private: true,
    });
  }
  for (const [group, members] of Object.entries(desired.groups)) {
    const wanted = members.filter((m) => !desired.services[m]!.disabled);
    files.push({
      name: groupTarget(desired.project, group),
      content: target(desired, `${desired.project} group ${group}`, wanted, null),
    });
  }
  const installTarget = opts.user ? 'default.target' : 'multi-user.target';
  files.push({
    name: projectTarget(desired.project),
    content: target(desired, `${desired.project} (all services)`, enabledServices(desired), installTarget),
  });
  return { files, warnings };
}

const SCRIPT_NOTE =
  "a shell script: its programs are found on systemd's PATH, not the one uiprocs up uses (use absolute paths or env: PATH)";

/** A compound shell command with no PATH of the manifest's: no single program to resolve. */
function scriptOnSystemdPath(s: ServiceSpec): boolean {
  return (
    typeof s.command === 'string' &&
    shellScript(s.command).head === undefined &&
    !Object.hasOwn(s.env, 'PATH')
  );
}

/** The comment that says which file a unit runs; {@link recordedExecutables} reads it back. */
function executableNote(exe: Executable): string {
  const name = JSON.stringify(exe.program);
  return exe.path === null
    ? `executable ${name} was not found on the PATH uiprocs up uses (at export): kept as written for systemd's PATH`
    : `executable ${name} = ${JSON.stringify(exe.path)}: found on the PATH uiprocs up uses (at export)`;
}

const RECORD = /^# executable ("(?:[^"\\]|\\.)*")(?: = ("(?:[^"\\]|\\.)*"):| was not found)/;

/**
 * The executables a unit's comments record (program → file, or null: not found), so that
 * `--check` can compare a unit with the files the export resolved rather than with what
 * this machine's PATH holds.
 */
export function recordedExecutables(unit: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const line of unit.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = RECORD.exec(line);
    if (m === null) continue;
    try {
      out.set(JSON.parse(m[1]!) as string, m[2] === undefined ? null : (JSON.parse(m[2]) as string));
    } catch {
      // not a record we wrote
    }
  }
  return out;
}

function target(desired: Desired, description: string, services: string[], wantedBy: string | null): string {
  const lines = [
    `# ${headerText('systemd', desired)}`,
    '[Unit]',
    `Description=${value(description)}`,
    ...services.map((s) => `Wants=${unitName(desired.project, s)}`),
  ];
  if (wantedBy !== null) lines.push('', '[Install]', `WantedBy=${wantedBy}`);
  return `${lines.join('\n')}\n`;
}

/** `note`: what the unit runs (executableNote or SCRIPT_NOTE), the unit's first comment. */
function serviceUnit(desired: Desired, s: ServiceSpec, exe: Executable | null, note: string | null): string {
  const p = desired.project;
  const notes: string[] = note === null ? [] : [note];
  if (s.watch !== undefined) notes.push(WATCH_NOTE);
  // A one-shot task (isTask in core/model.ts) runs once to its end; resolve already gave it restart: no.
  const task = isTask(desired, s.name);
  const restart = s.maxRestarts === 0 || task ? 'no' : s.restart;
  const unit: string[] = [`Description=${value(`${p} ${s.name} (from ${desired.manifestPath})`)}`];
  if (!s.disabled) unit.push(`PartOf=${projectTarget(p)}`);
  for (const g of s.groups) if (!s.disabled) unit.push(`PartOf=${groupTarget(p, g)}`);
  for (const [dep, condition] of Object.entries(s.dependsOn)) {
    unit.push(`After=${unitName(p, dep)}`);
    unit.push(`${condition === 'started' ? 'Wants' : 'Requires'}=${unitName(p, dep)}`);
  }
  if (restart !== 'no')
    unit.push(
      `StartLimitBurst=${s.maxRestarts + 1}`,
      `StartLimitIntervalSec=${s.maxRestarts * (RESTART_RESET_S + RESTART_SEC_S)}s`,
    );

  // oneshot: "started" means exited 0, so After= makes dependents wait for its exit and
  // Requires= keeps them from starting when it fails; RemainAfterExit keeps it active
  // (done) so starting a dependent later does not run it again. No start timeout, as in up.
  const service: string[] = task
    ? ['Type=oneshot', 'RemainAfterExit=yes', 'TimeoutStartSec=infinity', `WorkingDirectory=${value(s.cwd)}`]
    : ['Type=simple', `WorkingDirectory=${value(s.cwd)}`];
  const portEnv: [string, string][] = [];
  for (const [k, v] of Object.entries(s.env)) {
    if (v.includes(AUTO_PORT_TOKEN)) portEnv.push([k, v]);
    else service.push(`Environment=${quote(`${k}=${v}`, false)}`);
  }
  if (typeof s.port === 'number') service.push(`Environment=PORT=${s.port}`);
  if (s.port === 'auto') {
    notes.push(
      'port: auto. systemd cannot pick a free port: give this unit one with a drop-in',
      `(systemctl edit ${unitName(p, s.name)}: [Service] Environment=PORT=<port>).`,
    );
    const check = `test -n "$PORT" || { echo "${s.name}: PORT is not set (port: auto in the manifest); add Environment=PORT=<port> with systemctl edit" >&2; exit 1; }`;
    service.push(`ExecStartPre=/bin/sh -c ${execWord(check)}`);
  }
  service.push(`ExecStart=${execStart(s, portEnv, exe?.path ?? null)}`);

  const attempt = probeAttempt(s);
  if (attempt !== null) {
    const loop = `until ${attemptScript(attempt)}; do sleep ${seconds(s.ready.interval)}; done`;
    service.push(`ExecStartPost=/bin/sh -c ${execWord(loop)}`, `TimeoutStartSec=${span(s.ready.timeout)}`);
  } else if (s.ready.check.kind === 'log') {
    notes.push('ready: log has no systemd equivalent; dependents start once this unit has started.');
  }
  if (s.health !== undefined)
    notes.push(
      'healthcheck: systemd has no health checks; it is not exported (uiprocs watch probes it and restarts it when unhealthy).',
    );
  service.push(...limitLines(s.limits));
  service.push(
    'KillMode=control-group',
    `KillSignal=${s.stopSignal}`,
    `TimeoutStopSec=${span(s.stopTimeout)}`,
    `Restart=${restart}`,
    ...(restart === 'no' ? [] : [`RestartSec=${RESTART_SEC_S}s`]),
    `StandardOutput=${value(`append:${s.log.path}`)}`,
    `StandardError=${value(`append:${s.log.path}`)}`,
  );
  if (s.disabled) notes.push('disabled: true in the manifest: no target wants this unit.');

  const lines = [
    `# ${headerText('systemd', desired)}`,
    ...notes.map((n) => `# ${n}`),
    '[Unit]',
    ...unit,
    '',
    '[Service]',
    ...service,
  ];
  if (!s.disabled) lines.push('', '[Install]', `WantedBy=${projectTarget(p)}`);
  return `${lines.join('\n')}\n`;
}

/** `limits:` as systemd's resource settings: the same kernel knobs uiprocs sets in a cgroup of its own. */
function limitLines(l: Limits | undefined): string[] {
  if (l === undefined) return [];
  const out: string[] = [];
  if (l.memory !== undefined) out.push(`MemoryMax=${l.memory}`);
  // Whole percents: older systemd reads no fraction here.
  if (l.cpu !== undefined) out.push(`CPUQuota=${Math.max(1, Math.round(l.cpu * 100))}%`);
  if (l.processes !== undefined) out.push(`TasksMax=${l.processes}`);
  if (l.openFiles !== undefined) out.push(`LimitNOFILE=${l.openFiles}`);
  return out;
}

/** uiprocs' backoff: the first restart after 1 s; a streak ends after 60 s of uptime (core/restart-policy.ts). */
const RESTART_SEC_S = 1;
const RESTART_RESET_S = 60;

/** `file`: the resolved program, written in place of the name the command looks up. */
function execStart(s: ServiceSpec, portEnv: [string, string][], file: string | null): string {
  const prefix = portEnv.length > 0 ? ['/usr/bin/env', ...portEnv.map(([k, v]) => `${k}=${v}`)] : [];
  if (typeof s.command === 'string') {
    const { script, head } = shellScript(s.command);
    const run =
      file === null || head === undefined
        ? script
        : `exec ${shWord(file)}${script.slice(`exec ${head}`.length)}`;
    return [...prefix, '/bin/sh', '-c', run].map(execWord).join(' ');
  }
  const [written = '', ...args] = s.command;
  const program = file ?? written;
  const viaEnv = prefix.length === 0 && !program.startsWith('/') ? ['/usr/bin/env'] : [];
  return [...prefix, ...viaEnv, program, ...args].map(execWord).join(' ');
}

/** One command-line word: `$` doubled, the auto port as systemd's `${PORT}`. */
function execWord(word: string): string {
  if (word === ';') return '\\;';
  if (/^[A-Za-z0-9_./:@+,=-]+$/.test(word)) return word;
  return `"${word
    .split(AUTO_PORT_TOKEN)
    .map((part) => cEscape(part, true))
    .join(PORT_REF)}"`;
}

/** A double-quoted word outside command lines (Environment=): `$` is literal there. */
function quote(word: string, dollar: boolean): string {
  return `"${cEscape(word, dollar)}"`;
}

/** A whole-line value (paths, descriptions): only specifiers and line breaks need care. */
function value(text: string): string {
  return text.replace(/%/g, '%%').replace(/\n/g, ' ');
}

function cEscape(text: string, dollar: boolean): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '%') out += '%%';
    else if (ch === '$' && dollar) out += '$$';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * A systemd time span. 0 is raised to 1ms: for systemd `0` means "no timeout", for
 * uiprocs it means "at once".
 */
function span(ms: Millis): string {
  const m = Math.max(1, Math.round(ms));
  return m % 1000 === 0 ? `${m / 1000}s` : `${m}ms`;
}
