/**
 * `ps` as data: one row per service of the manifest plus one per orphan record, from the
 * cached manifest and the state records only — no lock, no spawn, nothing written. A
 * running service with a port is checked against the kernel's table of listening sockets
 * (or, without one, a TCP connect) to tell `running` (listening) from `starting` (alive,
 * port not open yet). Usage (CPU, memory, process count) is measured by the caller
 * (engine/usage.ts) and handed in.
 */
import { urlFor } from '../core/format.js';
import type { Desired, Observed } from '../core/model.js';
import { taskNames } from '../core/model.js';
import { tcpAttempt } from '../probes/checks.js';
import { isLive, type System } from '../runtime/system.js';
import type { ServiceUsage } from '../runtime/usage.js';
import { type HealthFileStatus, readHealthFile } from '../state/health-file.js';
import type { LimitsView } from './limits-view.js';

/**
 * `untracked`: processes carrying the service's tag run, but no believed record describes
 * them (a CLI killed between spawn and record, a removed record). uiprocs started them, so
 * the next `up` or `down` stops them; until then `ps` must not call the service stopped.
 * `restarting`: its recorded main process ended and a live supervisor (or watch) is about
 * to start it again by its policy (engine/ps-rows.ts decides; a dead main process is a dead
 * service, whatever of it is left running).
 */
export type Status =
  | 'running'
  | 'starting'
  | 'restarting'
  | 'completed'
  | 'exited'
  | 'stale'
  | 'stopped'
  | 'untracked';

export interface StatusRow {
  name: string;
  group: string[];
  status: Status;
  pid: number | null;
  port: number | null;
  url: string | null;
  started_at: string | null;
  uptime_ms: number | null;
  restarts: number;
  /**
   * The last restart uiprocs made of it on its own (a death, a failed health check, its
   * memory): when, and why (`exited (3)`, `SIGKILL`, `unhealthy: GET /health → 500 (2 in
   * a row)`, `memory 612 MB > limit 512 MB`); null when none.
   */
  last_restart: { at: string; cause: string } | null;
  /**
   * Recent CPU use of all its processes, in % of one core (200 = two cores busy), one
   * decimal: over the time since an earlier `ps`'s sample (0.25 s to 5 min old), or over a
   * 0.25 s wait when there is none. null when not running or unknown.
   */
  cpu_percent: number | null;
  /** Sum of the resident set sizes (RSS) of its processes, in bytes; null when not running. */
  memory_bytes: number | null;
  /** How many live processes it has (group, descendants, or its cgroup); null when not running. */
  processes: number | null;
  /**
   * How its last process ended, while its record is kept (until the next `up` or `down`
   * of it): the exit code, or the signal that killed it; both null with `finished_at` set
   * when no uiprocs process was its parent when it died (the code is unknown).
   */
  exit_code: number | null;
  exit_signal: string | null;
  /** ISO-8601: when it ended (with the code unknown: when uiprocs first found it gone). */
  finished_at: string | null;
  /** Why a record is stale, or that a service is not in the manifest any more. */
  note: string | null;
  /**
   * A one-shot task (isTask in core/model.ts): `completed` once it exited 0 (with its record kept,
   * until the next run or a `down`), `exited (N)` when it failed.
   */
  task: boolean;
  /** A live supervisor (or a foreground watch) keeps it alive: it runs and has a restart policy. */
  supervised: boolean;
  /**
   * What the health checks last found for this very process (`run/<name>.health`), or
   * null: no healthcheck, not running, or nothing is probing it (no `watch` running).
   */
  health: HealthFileStatus | null;
  /**
   * Each limit it has, with how it holds (`cgroup`, `systemd`, `rlimit`, `watched`, `not
   * enforced`): for a running service what held when it started (its record), otherwise
   * how it would hold now; null without limits.
   */
  limits: LimitsView | null;
}

/** Without a socket table to read, how long a port may take to accept before ps calls it not listening. */
const PORT_ANSWER_MS = 250;

export async function statusRows(
  desired: Desired,
  observed: Observed,
  system: System,
  targets: string[],
  now: number = Date.now(),
  /** Service → PIDs of live processes with its tag, for services without a running record. */
  untracked: ReadonlyMap<string, readonly number[]> = new Map(),
  /** Service → usage of its processes, for services with a running record (engine/usage.ts). */
  usage: ReadonlyMap<string, ServiceUsage> = new Map(),
  /** The caller's environment (`UIPROCS_PLACE` changes how limits would hold). */
  env: Record<string, string | undefined> = process.env,
): Promise<StatusRow[]> {
  // Limits cost a module and, for a service not running, a look at the machine's cgroups:
  // only when some service has them.
  const withLimits =
    Object.values(desired.services).some((s) => s.limits !== undefined) ||
    Object.values(observed.services).some((o) => o.status !== 'absent' && o.record.place !== undefined);
  const places = withLimits ? await import('./limits-view.js') : undefined;
  // One read of the kernel's socket table answers for every port; connecting is the fallback.
  const listening = system.listeningPorts?.();
  const answers = async (port: number) =>
    listening ? listening.has(port) : (await tcpAttempt(port, PORT_ANSWER_MS)).ok;
  const tasks = taskNames(desired);
  const names = [
    ...new Set([
      ...Object.keys(desired.services),
      ...Object.keys(observed.services).filter((n) => desired.services[n] === undefined),
      ...[...untracked.keys()].filter((n) => desired.services[n] === undefined),
    ]),
  ].filter((n) => targets.length === 0 || targets.includes(n));
  return Promise.all(
    names.map(async (name): Promise<StatusRow> => {
      const spec = desired.services[name];
      const obs = observed.services[name] ?? { name, status: 'absent' as const };
      const base: StatusRow = {
        name,
        group: spec?.groups ?? [],
        status: 'stopped',
        pid: null,
        port: typeof spec?.port === 'number' ? spec.port : null,
        url: null,
        started_at: null,
        uptime_ms: null,
        restarts: 0,
        last_restart: null,
        cpu_percent: null,
        memory_bytes: null,
        processes: null,
        exit_code: null,
        exit_signal: null,
        finished_at: null,
        task: tasks.has(name),
        supervised: false,
        health: null,
        // How its limits would hold now; a running record's place (below) says what held.
        limits:
          obs.status !== 'absent' && obs.record.place !== undefined
            ? null
            : (places?.limitsView(spec?.limits, undefined, env) ?? null),
        note:
          spec === undefined
            ? desired.recordsOnly
              ? null
              : 'not in the manifest'
            : spec.disabled
              ? 'disabled'
              : null,
      };
      const strays = obs.status === 'running' ? undefined : untracked.get(name);
      if (strays !== undefined && strays.length > 0) {
        const list = strays.join(', ');
        return {
          ...base,
          status: 'untracked',
          limits: places?.limitsView(spec?.limits, undefined, env) ?? null,
          pid: strays[0]!,
          restarts: obs.status === 'absent' ? 0 : obs.record.restarts,
          note: `process${strays.length === 1 ? '' : 'es'} ${list} run${strays.length === 1 ? 's' : ''} with its tag but no record; \`uiprocs up\` or \`down\` stops ${strays.length === 1 ? 'it' : 'them'}`,
        };
      }
      if (obs.status === 'absent') return base;
      const record = obs.record;
      const row: StatusRow = {
        ...base,
        // Without a usable manifest, the record says whether it ran as a task.
        task: desired.recordsOnly ? record.task === true : base.task,
        port: record.port,
        restarts: record.restarts,
        last_restart: record.lastRestart ?? null,
        started_at: record.startedAt,
      };
      // What held for this process, and whether it ran into its memory limit.
      const hit = places?.memoryLimitNote(record.place);
      if (record.place !== undefined && places !== undefined)
        row.limits = places.limitsView(spec?.limits, record.place, env);
      const notes = (...parts: (string | null | undefined)[]) =>
        parts.filter((p): p is string => typeof p === 'string').join('; ') || null;
      row.note = notes(base.note, hit);
      if (obs.status === 'stale') {
        const gone = !isLive(system.proc(record.pid));
        const exit = record.exit;
        const completed = gone && row.task && exit?.code === 0;
        return {
          ...row,
          status: completed ? 'completed' : gone ? 'exited' : 'stale',
          exit_code: exit?.code ?? null,
          exit_signal: exit?.signal ?? null,
          finished_at: exit?.finishedAt ?? null,
          // "process 123 exited with code 0" says nothing `completed` does not.
          note: completed ? null : notes(obs.why, hit),
        };
      }
      const answering = record.port === null || (await answers(record.port));
      // One small read, only for a running service that has a healthcheck.
      const health = spec?.health === undefined ? null : readHealthFile(desired.stateDir, name, record, now);
      const used = usage.get(name);
      return {
        ...row,
        cpu_percent: used?.cpuPercent ?? null,
        memory_bytes: used?.memoryBytes ?? null,
        processes: used?.processes ?? null,
        health: health?.status ?? null,
        status: answering ? 'running' : 'starting',
        pid: record.pid,
        url: urlFor(record.port),
        uptime_ms: Math.max(0, now - Date.parse(record.startedAt)),
      };
    }),
  );
}
