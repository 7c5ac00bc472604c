/**
 * `uiprocs export compose`: a compose file (compose-spec) with one service per manifest
 * service. A pure function of the resolved manifest.
 *
 * How the manifest maps (and where a container differs from a local process):
 * - image: the service's `image:` (or `defaults.image`), else DEFAULT_IMAGE, which has
 *   Node, Python 3, curl and wget but none of your project's packages: set `image:`.
 * - The project folder is bind-mounted at CONTAINER_DIR (`/project`), its source written
 *   relative to the compose file's folder (`fileDir`), which is where compose resolves it:
 *   the file holds in any checkout. Every path under the project folder (cwd, paths and
 *   `${PROJECT_DIR}` in commands and env) is written under CONTAINER_DIR (relocate.ts);
 *   working_dir is the service's cwd there.
 * - command: array form. A string runs as `/bin/sh -c "exec …"` (exec when it is one
 *   simple command, as uiprocs does), so the stop signal reaches the server, not a shell.
 * - ports: `"PORT:PORT"`, and PORT in the environment as uiprocs sets it. Inside a
 *   container the server must listen on 0.0.0.0 to be reachable, and services reach each
 *   other by service name, not 127.0.0.1. A command that binds loopback (`--host
 *   127.0.0.1`, loopback.ts) gets a comment at its ports and a warning naming the flag.
 * - `port: auto`: compose cannot pick a free port either. The port comes from the variable
 *   PORT_<SERVICE> when compose runs (`.env` beside the compose file, or the environment);
 *   compose stops with a message naming it when it is unset. It is published like a
 *   fixed port, and every `${PORT}` of the manifest becomes `${PORT_<SERVICE>}`.
 * - env: every resolved variable (env_file entries included) in `environment`. Compose
 *   interpolates `$` in the whole file, so a literal `$` is written `$$`.
 * - healthcheck → healthcheck (test, interval, timeout, retries, start_period as written).
 *   Without one, ready → healthcheck (see probe.ts; start_period = ready.timeout): compose
 *   has one healthcheck per service, and the manifest's healthcheck wins over its ready
 *   probe. `depends_on` has `condition: service_healthy` for `ready` when the dependency
 *   has a healthcheck, `service_started` otherwise (log and alive probes have none).
 *   Docker marks a container unhealthy but does not restart it for that (only Swarm
 *   does); uiprocs' restart of an unhealthy service does not map.
 *   `service_completed_successfully` for `completed`: a one-shot task (isTask in core/model.ts),
 *   written with `restart: "no"` (compose would otherwise run it again and again).
 * - stop_signal, stop_grace_period = stop_timeout; restart `no` | `on-failure:<max_restarts>` | `always`.
 * - limits: memory, cpu and processes → `deploy.resources.limits` (`memory` in docker's
 *   binary units, `512m`, exact: bytes when no unit divides it; `cpus` as written; `pids`),
 *   which `docker compose up` applies without Swarm; open_files → `ulimits.nofile`, soft
 *   and hard alike, as uiprocs sets RLIMIT_NOFILE.
 * - logs: `docker compose logs`; the manifest's log files are not used.
 * - watch → `develop.watch` (compose-watch.ts): `action: restart`, or `sync+exec` for a signal.
 * - disabled: in the `disabled` profile, so `docker compose up` leaves it out.
 */
import { relative } from 'node:path';
import type { Desired, Limits, ServiceSpec } from '../core/model.js';
import { AUTO_PORT_TOKEN, isTask } from '../core/model.js';
import { shellScript } from '../core/shell-command.js';
import { goDuration, headerText } from './common.js';
import { composeWatchLines } from './compose-watch.js';
import { loopbackWarning } from './exposure.js';
import { type LoopbackBind, loopbackBinds } from './loopback.js';
import { ATTEMPT_TIMEOUT_S, healthAttempt, type ProbeAttempt, probeAttempt } from './probe.js';
import { relocate } from './relocate.js';

/** Debian with Node 20, Python 3, curl and wget: enough for the probes and the demo UIs. */
export const DEFAULT_IMAGE = 'node:20';

/** Where the project folder is mounted in every container. */
export const CONTAINER_DIR = '/project';

export interface ComposeOptions {
  /** Absolute folder the compose file is written to: the mount's source is relative to it. */
  fileDir: string;
}

/** The compose variable that holds an auto port: PORT_ and the service name in capitals. */
export function portVariable(service: string): string {
  return `PORT_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Compose project names are lower-case letters, digits, `-` and `_`. */
export function composeProjectName(project: string): string {
  return project.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
}

export function exportCompose(
  manifest: Desired,
  opts: ComposeOptions,
): { content: string; warnings: string[] } {
  const rel = relative(opts.fileDir, manifest.projectDir);
  const source = rel === '' ? '.' : rel.startsWith('..') ? rel : `./${rel}`;
  const desired = relocate(manifest, CONTAINER_DIR);
  const out: string[] = [
    `# ${headerText('compose', desired)}`,
    `# Each container mounts the project folder (${source} from this file) at ${CONTAINER_DIR}; cwd and paths point there.`,
    `name: ${str(composeProjectName(desired.project))}`,
    'services:',
  ];
  const warnings: string[] = [];
  for (const s of Object.values(desired.services)) {
    const binds = s.port === null ? [] : loopbackBinds(s.command);
    for (const b of binds)
      warnings.push(
        `compose: ${s.name} listens on loopback (${b.flag} ${b.value}): its published port is unreachable from outside the container; use ${b.flag} ${anyAddress(b)}`,
      );
    const byDefault = s.port === null ? undefined : loopbackWarning(s.command);
    if (byDefault !== undefined) warnings.push(`compose: ${s.name}: ${byDefault}`);
    out.push(...service(desired, s, source, binds));
  }
  return { content: `${out.join('\n')}\n`, warnings };
}

/** The bind's value with its host made 0.0.0.0 (every interface), its port kept. */
function anyAddress(b: LoopbackBind): string {
  return b.value.replace(/^(?:\[::1\]|::1|[^:]+)/, '0.0.0.0');
}

function service(desired: Desired, s: ServiceSpec, source: string, binds: LoopbackBind[]): string[] {
  const text = (v: string) => interp(v, s.name);
  const task = isTask(desired, s.name);
  const lines: string[] = [`  ${key(s.name)}:`];
  const add = (line: string) => lines.push(`    ${line}`);
  if (s.image === undefined) add(`image: ${str(DEFAULT_IMAGE)}  # default: set image: in the manifest`);
  else add(`image: ${str(s.image)}`);
  if (s.disabled) add('profiles: ["disabled"]  # disabled: true in the manifest');

  const argv = typeof s.command === 'string' ? ['/bin/sh', '-c', shellScript(s.command).script] : s.command;
  add(`command: ${list(argv.map(text))}`);
  add(`working_dir: ${str(text(s.cwd))}`);
  add('volumes:');
  add(`  - { type: bind, source: ${str(text(source))}, target: ${str(CONTAINER_DIR)} }`);

  const env: [string, string][] = Object.entries(s.env).map(([k, v]) => [k, text(v)]);
  if (typeof s.port === 'number') env.push(['PORT', String(s.port)]);
  if (s.port === 'auto') {
    const v = portVariable(s.name);
    env.push(['PORT', `\${${v}:?port: auto in the manifest: set ${v} to the port for ${s.name}}`]);
  }
  if (env.length > 0) {
    add('environment:');
    for (const [k, v] of env) add(`  ${key(k)}: ${str(v)}`);
  }
  if (s.port !== null) {
    const p = s.port === 'auto' ? `\${${portVariable(s.name)}}` : String(s.port);
    for (const b of binds)
      add(
        `# ${b.flag} ${b.value} listens on loopback: unreachable through this port; use ${b.flag} ${anyAddress(b)}`,
      );
    add('ports:');
    add(`  - ${str(`${p}:${p}`)}${s.port === 'auto' ? '  # port: auto, from the variable' : ''}`);
  }

  const deps = Object.entries(s.dependsOn);
  if (deps.length > 0) {
    add('depends_on:');
    for (const [dep, condition] of deps) {
      if (condition === 'completed') {
        add(`  ${key(dep)}: { condition: service_completed_successfully }`);
        continue;
      }
      const healthy = condition === 'ready' && composeCheck(desired.services[dep]!) !== null;
      const note =
        condition === 'ready' && !healthy ? `  # ${dep} has no healthcheck (ready: log or alive)` : '';
      add(`  ${key(dep)}: { condition: ${healthy ? 'service_healthy' : 'service_started'} }${note}`);
    }
  }

  const check = composeCheck(s);
  if (check !== null) {
    const { attempt } = check;
    const test =
      attempt.kind === 'shell' ? ['CMD-SHELL', text(attempt.script)] : ['CMD', ...attempt.argv.map(text)];
    add('healthcheck:');
    add(`  test: ${list(test)}`);
    add(`  interval: ${goDuration(check.interval)}`);
    add(`  timeout: ${goDuration(check.timeout)}`);
    add(`  retries: ${check.retries}`);
    add(`  start_period: ${goDuration(check.startPeriod)}`);
  } else if (s.ready.check.kind === 'log') {
    add('# ready: log has no healthcheck equivalent');
  }
  for (const line of limitLines(s.limits)) add(line);
  for (const line of composeWatchLines(s, source, CONTAINER_DIR)) add(line);
  add(`stop_signal: ${s.stopSignal}`);
  add(`stop_grace_period: ${goDuration(s.stopTimeout)}`);
  add(
    `restart: ${str(task ? 'no' : restartPolicy(s))}${task ? '  # a one-shot task: its dependents wait for its exit 0' : ''}`,
  );
  return lines;
}

/** The service's one compose healthcheck: its `healthcheck`, else its ready probe, else none. */
function composeCheck(s: ServiceSpec): {
  from: 'healthcheck' | 'ready';
  attempt: ProbeAttempt;
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
} | null {
  const health = healthAttempt(s);
  if (health !== null && s.health !== undefined)
    return {
      from: 'healthcheck',
      attempt: health,
      interval: s.health.interval,
      timeout: s.health.timeout,
      retries: s.health.retries,
      startPeriod: s.health.startPeriod,
    };
  const ready = probeAttempt(s);
  if (ready === null) return null;
  return {
    from: 'ready',
    attempt: ready,
    interval: Math.max(1000, s.ready.interval),
    timeout: ATTEMPT_TIMEOUT_S * 1000,
    retries: 3,
    startPeriod: s.ready.timeout,
  };
}

/** `limits:` as compose's `deploy.resources.limits` and `ulimits` (lines under the service). */
function limitLines(l: Limits | undefined): string[] {
  if (l === undefined) return [];
  const resources: string[] = [];
  if (l.memory !== undefined) resources.push(`memory: ${str(dockerBytes(l.memory))}`);
  if (l.cpu !== undefined) resources.push(`cpus: ${str(String(l.cpu))}`);
  if (l.processes !== undefined) resources.push(`pids: ${l.processes}`);
  const out: string[] = [];
  if (resources.length > 0) out.push('deploy:', '  resources:', `    limits: { ${resources.join(', ')} }`);
  if (l.openFiles !== undefined)
    out.push('ulimits:', `  nofile: { soft: ${l.openFiles}, hard: ${l.openFiles} }`);
  return out;
}

/**
 * Bytes as docker reads a memory size (binary units, like the manifest's): the largest of
 * `g`, `m`, `k` that divides it exactly, else bytes with `b`. Never rounded.
 */
export function dockerBytes(bytes: number): string {
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return `${bytes}b`;
}

/** Docker's on-failure:N counts like max_restarts, but on-failure:0 would mean "no limit". */
function restartPolicy(s: ServiceSpec): string {
  if (s.restart !== 'on-failure') return s.restart;
  return s.maxRestarts === 0 ? 'no' : `on-failure:${s.maxRestarts}`;
}

/** A manifest string for compose: `$` doubled (compose interpolates), the auto port as its variable. */
function interp(v: string, service: string): string {
  return v
    .split(AUTO_PORT_TOKEN)
    .map((part) => part.replace(/\$/g, '$$$$'))
    .join(`\${${portVariable(service)}}`);
}

/** A YAML double-quoted scalar: JSON's string syntax is valid YAML. */
function str(v: string): string {
  return JSON.stringify(v);
}

function list(items: string[]): string {
  return `[${items.map(str).join(', ')}]`;
}

/** A mapping key: bare when YAML reads it as that exact string, else quoted. */
function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(k)
    ? k
    : str(k);
}
