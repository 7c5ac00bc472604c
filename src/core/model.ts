/**
 * The shared vocabulary of uiprocs: the desired state a manifest resolves to, the state
 * observed on the machine, and the failures that travel as values until the CLI prints them.
 *
 * This module does no I/O and imports nothing that does; every layer may depend on it.
 */

/** A location in a source file; line and column are 1-based, like a compiler's. */
export interface Diagnostic {
  /** Path of the file as the user should see it (relative to the cwd when shorter). */
  file: string;
  line: number;
  column: number;
  /** Length of the offending token, for the `^~~~` marker; at least 1. */
  length: number;
  /** One sentence: `services.inference.port must be an integer from 1 to 65535`. */
  message: string;
  /** The text of the source line, kept so the printer needs no file access. */
  sourceLine?: string;
  /** Extra advice, e.g. `did you mean "command"?`. */
  hint?: string;
}

/**
 * Expected problems, as a tagged union. `reason` decides the exit code in `cli/main.ts`:
 * usage/manifest problems exit 2, runtime problems exit 1, an interrupted converge 130/143.
 */
export type Failure =
  | { reason: 'manifest-invalid'; diagnostics: Diagnostic[] }
  | { reason: 'manifest-not-found'; message: string }
  | { reason: 'usage'; message: string }
  | { reason: 'unknown-target'; message: string; diagnostics?: Diagnostic[] }
  | { reason: 'service-failed'; message: string; details?: string[] }
  | { reason: 'lock-failed'; message: string }
  | { reason: 'state-invalid'; message: string }
  /** `busy`: the address is taken (EADDRINUSE), so a caller can say who holds it. */
  | { reason: 'io'; message: string; busy?: true }
  /** Ctrl-C or SIGTERM while a converge ran: the message says what was left running. */
  | { reason: 'interrupted'; message: string; signal: 'SIGINT' | 'SIGTERM' };

export type Result<T, E = Failure> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E = Failure>(error: E): Result<never, E> => ({ ok: false, error });

/** Exit codes are part of the command contract (DESIGN.md). */
export function exitCodeFor(failure: Failure): number {
  switch (failure.reason) {
    case 'interrupted':
      // The shell's convention for "ended by signal n": 128 + n.
      return failure.signal === 'SIGINT' ? 130 : 143;
    case 'manifest-invalid':
    case 'manifest-not-found':
    case 'usage':
    case 'unknown-target':
      return 2;
    default:
      return 1;
  }
}

/** Milliseconds. Durations in the manifest (`500ms`, `10s`, `2m`, `5`) resolve to this. */
export type Millis = number;

export type ReadyCheck =
  | {
      kind: 'tcp' /** Probe this port instead of the service's own (`ready: { tcp: 9000 }`). */;
      port?: number;
    }
  | { kind: 'http' /** a path (`/health`) or a full URL */; target: string }
  | { kind: 'log'; pattern: string }
  | { kind: 'command'; command: string | string[] }
  /** No port and no probe: ready once alive for a short start period. */
  | { kind: 'alive' };

export interface ReadySpec {
  check: ReadyCheck;
  timeout: Millis;
  interval: Millis;
}

export interface LogSpec {
  /** Absolute path of the log file. */
  path: string;
  /** Bytes; rotation threshold. */
  maxSize: number;
  keep: number;
}

/** The probes a health check can run: those of `ready` that ask the service itself. */
export type HealthCheck =
  | { kind: 'tcp' /** Probe this port instead of the service's own. */; port?: number }
  | { kind: 'http' /** a path (`/health`) or a full URL */; target: string }
  | { kind: 'command'; command: string | string[] };

/**
 * `healthcheck:` resolved: while the service runs, one attempt of `check` every `interval`,
 * each failing after `timeout`; `retries` failures in a row make it unhealthy; failures
 * inside `startPeriod` (from the process's start) do not count (docker's semantics).
 * It does not shape the process: it is not in ProcessShape, so editing it recreates nothing.
 */
export interface HealthSpec {
  check: HealthCheck;
  interval: Millis;
  timeout: Millis;
  retries: number;
  startPeriod: Millis;
}

export type RestartPolicy = 'no' | 'on-failure' | 'always';
/**
 * When a dependent may start: its dependency was spawned (`started`), passes its ready probe
 * (`ready`), or, for a one-shot task (isTask below), exited 0 (`completed`).
 */
export type DependencyCondition = 'started' | 'ready' | 'completed';

/** Anything with services that have `dependsOn` (a Desired, or a test's stand-in). */
interface WithDependencies {
  services: Readonly<Record<string, { dependsOn: Readonly<Record<string, DependencyCondition>> }>>;
}

/**
 * Whether `name` is a one-shot task: a service that runs to completion instead of staying
 * up, because some service depends on it with `condition: completed` (compose's
 * `service_completed_successfully`). There is no explicit marker: a task nothing waits for
 * would be a service that happens to exit. The one rule the manifest checks, the plan, the
 * executor's wiring, `ps`, watch and a supervisor all ask. It lives here, not in a module
 * of its own, so it travels in the chunk every command loads: on its own it was one more
 * file for `ps` to load (~0.4 ms).
 */
export function isTask(desired: WithDependencies, name: string): boolean {
  for (const spec of Object.values(desired.services)) if (spec.dependsOn[name] === 'completed') return true;
  return false;
}

/** Every one-shot task of the manifest (see isTask), for callers asking about many services. */
export function taskNames(desired: WithDependencies): Set<string> {
  const out = new Set<string>();
  for (const spec of Object.values(desired.services))
    for (const [dep, condition] of Object.entries(spec.dependsOn))
      if (condition === 'completed') out.add(dep);
  return out;
}

/**
 * Placeholder left in commands and env values for `${PORT}` when `port: auto`: the port
 * is known only at start time, and the config hash must not change with it.
 */
export const AUTO_PORT_TOKEN = '\u0000UIPROCS_PORT\u0000';

/** One service of the desired state: defaults applied, variables interpolated, paths absolute. */
export interface ServiceSpec {
  name: string;
  /** A string runs under `/bin/sh -c`; an array runs without a shell. */
  command: string | string[];
  port: number | 'auto' | null;
  groups: string[];
  /** Absolute. */
  cwd: string;
  /** What the manifest adds on top of the caller's environment: env_file entries, then `env`. */
  env: Record<string, string>;
  /** Absolute paths of env files read, so watch can watch them. */
  envFiles: string[];
  log: LogSpec;
  dependsOn: Record<string, DependencyCondition>;
  ready: ReadySpec;
  /** Absent: no health check (none set, or `healthcheck: false` / `disable: true`). */
  health?: HealthSpec;
  stopSignal: string;
  stopTimeout: Millis;
  restart: RestartPolicy;
  maxRestarts: number;
  disabled: boolean;
  /** Container image for `uiprocs export compose` and `export kubernetes`; uiprocs itself ignores it. */
  image?: string;
  /** `limits:` (service over `defaults`); absent when none is set. */
  limits?: Limits;
  /** `watch:`: restart (or signal) the service when its sources change; absent when none is set. */
  watch?: WatchSpec;
}

/**
 * What a service's `watch:` asks for (duties/source-watch.ts acts on it). Not part of the
 * config hash: editing what is watched changes nothing in the running process.
 */
export interface WatchSpec {
  /** Files, folders or globs as written, relative to the service's cwd. */
  paths: string[];
  /** Globs (gitignore syntax) never to react to, on top of .git/, node_modules/ and .gitignore. */
  ignore: string[];
  /** `restart` (the default) or a signal sent to the process group (`SIGHUP`). */
  action: 'restart' | { signal: NodeJS.Signals };
  /** Quiet time after the last change before acting: a burst is one action. */
  debounceMs: Millis;
}

/**
 * What a service may use at most (`limits:`). How each one holds depends on the machine
 * (runtime/place/): a cgroup, a systemd scope, an rlimit, the supervisor's watch, or not
 * at all, and uiprocs always says which.
 */
export interface Limits {
  /** Bytes of memory (the cgroup's memory.max; watched RSS where no cgroup can be had). */
  memory?: number;
  /** Cores of CPU time per second: `1.5` is one and a half cores (cpu.max, CPUQuota=150%). */
  cpu?: number;
  /** Most tasks at once (pids.max, TasksMax=): the kernel counts threads as well as processes. */
  processes?: number;
  /** RLIMIT_NOFILE, soft and hard, set before the command runs. */
  openFiles?: number;
}

/** The limit names as the manifest spells them, in the order uiprocs reports them. */
export const LIMIT_NAMES = ['memory', 'cpu', 'processes', 'open_files'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** The resolved manifest: what should run. Service order is manifest order. */
export interface Desired {
  /** Project name (manifest `project`, or the manifest folder's name). */
  project: string;
  /** Absolute folder of the manifest; relative paths resolve against it. */
  projectDir: string;
  /** Absolute path of the manifest file. */
  manifestPath: string;
  /**
   * Absolute paths of the files merged over it, in order, when `-f a.yaml -f b.yaml` named
   * them (manifest/override.ts); absent: the `ui-procs.override.yaml` beside it, if any.
   */
  overrideFiles?: string[];
  /** Absolute state dir (`.uiprocs` beside the manifest unless `state_dir` says otherwise). */
  stateDir: string;
  services: Record<string, ServiceSpec>;
  /** Group name → member service names (manifest order). */
  groups: Record<string, string[]>;
  /**
   * Made from the run records alone, because the manifest cannot be used (a syntax error):
   * `ps` and `down` without targets still work on it (engine/records-only.ts). No services are
   * known, so its records are not orphans, and nothing may be started from it.
   */
  recordsOnly?: true;
  /**
   * `supervise: false` at the top of the manifest: no background supervisor is ever started
   * for this project (restart policies then act only while a `uiprocs watch` runs).
   */
  supervise?: false;
  /**
   * `dashboard: { port }`: the supervisor (or a foreground watch) serves the project's
   * dashboard on 127.0.0.1:port while any service of it runs.
   */
  dashboard?: { port: number };
}

/**
 * What shapes a running process: a change here means the process must be recreated.
 * Groups, probes, stop settings, restart policy and log rotation do not shape it (like
 * compose's hash leaving out scale and depends_on), so editing them recreates nothing.
 * Limits do: they are set when the process is placed (its cgroup, its rlimits).
 */
export interface ProcessShape {
  command: string | string[];
  cwd: string;
  env: Record<string, string>;
  port: number | 'auto' | null;
  logPath: string;
  /**
   * Only present when the service has a limit: a shape without limits hashes as it did
   * before limits existed, so upgrading uiprocs recreates nothing.
   */
  limits?: Limits;
}

/**
 * What a run record says about a process uiprocs started. Written atomically to
 * `<state_dir>/run/<name>.json`; believed only when pid, start time and boot id match.
 */
export interface RunRecord {
  version: 1;
  name: string;
  project: string;
  pid: number;
  pgid: number;
  sid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot), as a string to stay exact. */
  startTime: string;
  bootId: string;
  configHash: string;
  /** The fields the hash covers, kept so a changed config can be named field by field. */
  shape?: ProcessShape;
  port: number | null;
  command: string | string[];
  cwd: string;
  logPath: string;
  /** ISO-8601. */
  startedAt: string;
  restarts: number;
  /**
   * It ran as a one-shot task (isTask): what `ps` and the dashboard say of its exit 0
   * (`completed`, not `exited (0)`) when the manifest cannot be read to ask.
   */
  task?: true;
  /**
   * Why and when this process replaced the previous one, when a restart started it (not
   * an `up`): `exited (3)`, `SIGKILL`, `unhealthy: GET /health → 500 (2 in a row)`,
   * `memory 612 MB > limit 512 MB`. `ps --json` shows it as `last_restart`.
   */
  lastRestart?: { at: string; cause: string };
  /**
   * The holder of the duties left this ended process down by its policy (`max_restarts`
   * given up, a clean exit under on-failure): `ps` then says `exited`, not `restarting`.
   */
  leftDown?: { at: string; why: string };
  /**
   * The manifest's stop_signal and stop_timeout when it started: how to stop it when the
   * manifest cannot say (the service left it, or it does not parse). Absent in records of
   * older versions; the defaults apply then.
   */
  stopSignal?: string;
  stopTimeout?: Millis;
  /**
   * How the process ended, once that is known (state/exits.ts writes it): the record is
   * stale then, and kept so `ps` can say `exited (3)` until the next `up` or `down` of the
   * service replaces or removes it.
   */
  exit?: ServiceExit;
  /**
   * Where the process was placed to hold its limits (runtime/place/): its cgroups and how
   * each limit holds. Absent: the service has no limits (or the record is older).
   */
  place?: RecordedPlace;
}

/** How one limit holds on this machine; `up`, `ps --json` and `config` say it for each. */
export type Enforcement = 'cgroup' | 'systemd' | 'rlimit' | 'watched' | 'not enforced';

/** The ways a service can be placed, in the order uiprocs prefers them. */
export type PlaceKind = 'cgroup2' | 'systemd' | 'cgroup1' | 'none';

export interface RecordedPlace {
  kind: PlaceKind;
  /**
   * Absolute cgroup directories that hold exactly the service's processes (one per cgroup
   * v1 controller; one for v2 or a systemd scope); empty when it has none. Their
   * `cgroup.procs` is the service's exact member list.
   */
  cgroups: string[];
  limits: Limits;
  enforced: Partial<Record<LimitName, Enforcement>>;
  /** The cgroup's count of OOM kills when this process started: more later means it hit memory. */
  oomKillsAtStart?: number;
}

/**
 * How a service's process ended. `code` and `signal` are known only to its parent (the
 * uiprocs process that spawned it, while it still runs); both null means "code unknown".
 */
export interface ServiceExit {
  /** Exit status, or null when a signal killed it or nobody knows. */
  code: number | null;
  /** The signal that killed it (`SIGSEGV`), or null. */
  signal: string | null;
  /**
   * ISO-8601: when its parent saw it end, or, with the code unknown, when uiprocs first
   * found it gone (it ended no later than that).
   */
  finishedAt: string;
  /** Set when uiprocs itself ended it, saying why (`not ready in time`). */
  cause?: string;
}

/**
 * A service as observed: the tagged union the plan reasons about.
 * - `running`: a record whose identity matches a live (non-zombie) process.
 * - `stale`: a record whose process is gone or whose PID now belongs to someone else.
 * - `absent`: no record.
 */
export type ObservedService =
  | { name: string; status: 'running'; record: RunRecord }
  | { name: string; status: 'stale'; record: RunRecord; why: string }
  | { name: string; status: 'absent' };

export interface Observed {
  /** Keyed by service name; includes records of services no longer in the manifest. */
  services: Record<string, ObservedService>;
  /** Problems met while observing (torn record files, junk pid files), reported once. */
  warnings: string[];
  /**
   * Services without a running record whose tag is still carried by live processes (a
   * command killed between spawn and writing the record, a record lost or removed as
   * damaged). Only `down` looks for them: it must leave nothing of the project behind.
   */
  leftovers?: string[];
}
