/**
 * `toPlain`: the resolved manifest as plain data for `uiprocs config` (YAML) and
 * `config --json`. Stable for diffing: keys sorted at every level, durations as integer
 * milliseconds (fields named `*_ms`), sizes in bytes, and the auto-port placeholder shown
 * as `${PORT}` (its real value exists only at spawn). `limits` appears only on a service
 * that has one, with the manifest's key names (`open_files`) and memory in bytes.
 */
import type { Desired, Enforcement, LimitName, Limits, ReadyCheck, ServiceSpec } from '../core/model.js';
import { AUTO_PORT_TOKEN } from '../core/model.js';

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/**
 * How each limit of a service holds on this machine. The manifest alone cannot say (it
 * depends on cgroups, systemd, privileges: runtime/place/), so `uiprocs config` passes
 * the machine's answer in and `limits.enforced` shows it; without it nothing is claimed.
 */
export type EnforcementOf = (service: ServiceSpec) => Partial<Record<LimitName, Enforcement>>;

export interface PlainOptions {
  enforcement?: EnforcementOf;
}

export function toPlain(desired: Desired, opts: PlainOptions = {}): { [k: string]: Plain } {
  const services: { [k: string]: Plain } = {};
  for (const [name, s] of Object.entries(desired.services)) services[name] = service(s, opts);
  return sortKeys({
    project: desired.project,
    project_dir: desired.projectDir,
    manifest: desired.manifestPath,
    state_dir: desired.stateDir,
    services,
    groups: desired.groups,
    ...(desired.supervise === false ? { supervise: false } : {}),
    ...(desired.dashboard !== undefined ? { dashboard: { port: desired.dashboard.port } } : {}),
  }) as { [k: string]: Plain };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax, shown to users
const showPort = (s: string) => s.split(AUTO_PORT_TOKEN).join('${PORT}');

function service(s: ServiceSpec, opts: PlainOptions): Plain {
  const env: { [k: string]: Plain } = {};
  for (const [k, v] of Object.entries(s.env)) env[k] = showPort(v);
  return {
    command: typeof s.command === 'string' ? showPort(s.command) : s.command.map(showPort),
    port: s.port,
    groups: s.groups,
    cwd: s.cwd,
    env,
    env_files: s.envFiles,
    log: { path: s.log.path, max_size: s.log.maxSize, keep: s.log.keep },
    depends_on: { ...s.dependsOn },
    ready: { ...check(s.ready.check), timeout_ms: s.ready.timeout, interval_ms: s.ready.interval },
    ...(s.health === undefined
      ? {}
      : {
          healthcheck: {
            ...check(s.health.check),
            interval_ms: s.health.interval,
            timeout_ms: s.health.timeout,
            retries: s.health.retries,
            start_period_ms: s.health.startPeriod,
          },
        }),
    stop_signal: s.stopSignal,
    stop_timeout_ms: s.stopTimeout,
    restart: s.restart,
    max_restarts: s.maxRestarts,
    disabled: s.disabled,
    ...(s.image === undefined ? {} : { image: s.image }),
    ...(s.limits === undefined ? {} : { limits: limits(s.limits, opts.enforcement?.(s)) }),
    ...(s.watch === undefined
      ? {}
      : {
          watch: {
            paths: s.watch.paths,
            ignore: s.watch.ignore,
            action: s.watch.action === 'restart' ? 'restart' : s.watch.action.signal,
            debounce_ms: s.watch.debounceMs,
          },
        }),
  };
}

/** Limits as the manifest names them, the ones set only; `enforced` when the caller knows it. */
function limits(l: Limits, enforced: Partial<Record<LimitName, Enforcement>> | undefined): Plain {
  const out: { [k: string]: Plain } = {};
  if (l.memory !== undefined) out.memory = l.memory;
  if (l.cpu !== undefined) out.cpu = l.cpu;
  if (l.processes !== undefined) out.processes = l.processes;
  if (l.openFiles !== undefined) out.open_files = l.openFiles;
  if (enforced !== undefined) {
    const how: { [k: string]: Plain } = {};
    for (const [name, e] of Object.entries(enforced)) if (e !== undefined && name in out) how[name] = e;
    out.enforced = how;
  }
  return out;
}

function check(c: ReadyCheck): { [k: string]: Plain } {
  switch (c.kind) {
    case 'tcp':
      return c.port === undefined ? { kind: 'tcp' } : { kind: 'tcp', port: c.port };
    case 'http':
      return { kind: 'http', target: showPort(c.target) };
    case 'log':
      return { kind: 'log', pattern: c.pattern };
    case 'command':
      return {
        kind: 'command',
        command: typeof c.command === 'string' ? showPort(c.command) : c.command.map(showPort),
      };
    case 'alive':
      return { kind: 'alive' };
  }
}

/** Sorted keys at every level; lists keep their order (it means something). */
function sortKeys(v: Plain): Plain {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Plain } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
    return out;
  }
  return v;
}
