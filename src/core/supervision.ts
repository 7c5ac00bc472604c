/**
 * Who keeps the running services alive, decided purely: whether a project needs a
 * supervisor, whether one must be started, and when a running one should leave. The edges
 * (src/supervisor) read the records and act; every choice is made here, with its cause,
 * so it is unit-tested without processes (test/unit/supervision.test.ts).
 *
 * The rule of issue 13: a supervisor exists exactly while a running service needs one and
 * no foreground `uiprocs watch` holds the duties. Nothing is resident otherwise.
 */
import { type Desired, isTask, type RunRecord, type ServiceSpec } from './model.js';

/**
 * Whether a service, while it runs, needs someone to watch it: it has a restart policy,
 * a healthcheck or a `watch:` on its sources, or its memory limit is `watched` (no cgroup holds it: its record says
 * so, see runtime/place/), so the memory watchdog must run. The one place to widen or
 * narrow the rule.
 */
export function needsSupervision(spec: ServiceSpec, memoryWatched = false): boolean {
  return (
    spec.restart !== 'no' ||
    spec.health !== undefined ||
    spec.watch !== undefined ||
    (memoryWatched && spec.limits?.memory !== undefined)
  );
}

/**
 * Whether a running service needs whoever holds the duties at all: to be kept alive
 * (needsSupervision), or only to have its log stamped with time (duties/log-stamps.ts:
 * `logs -t` needs someone watching every log). Every service that stays up does; a
 * one-shot task does only by its own policy (its lines get derived times). The supervisor
 * exists while such a service runs, unless `supervise: false` or `up --no-supervise`.
 */
export function needsDutyHolder(desired: Desired, name: string, memoryWatched = false): boolean {
  const spec = desired.services[name];
  return spec !== undefined && (needsSupervision(spec, memoryWatched) || !isTask(desired, name));
}

/** The services among `records` whose memory limit only a watchdog holds. */
export function memoryWatched(records: Iterable<Pick<RunRecord, 'name' | 'place'>>): Set<string> {
  const out = new Set<string>();
  for (const r of records) if (r.place?.enforced.memory === 'watched') out.add(r.name);
  return out;
}

/**
 * Of `running` (service names), those the supervisor holds the duties for (needsDutyHolder), in manifest order;
 * `watched`: the running services whose memory limit is watched (memoryWatched).
 */
export function supervisedAmong(
  desired: Desired,
  running: ReadonlySet<string>,
  watched: ReadonlySet<string> = new Set(),
): string[] {
  if (desired.supervise === false) return [];
  return Object.keys(desired.services).filter(
    (name) => running.has(name) && needsDutyHolder(desired, name, watched.has(name)),
  );
}

/** Whether any service of the manifest could ever need a supervisor (a no-op `up` stops here). */
export function mayNeedSupervision(desired: Desired): boolean {
  return (
    desired.supervise !== false &&
    (desired.dashboard !== undefined ||
      Object.keys(desired.services).some((n) => needsDutyHolder(desired, n, true)))
  );
}

/** `dashboard: { port }` is served by whoever holds the duties while any service runs. */
export function servesDashboard(
  desired: Desired,
  running: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): boolean {
  return desired.dashboard !== undefined && desired.supervise !== false && running.size > 0;
}

/** Who holds the duties now, as the records say (identity-checked by the caller). */
export type DutyHolder =
  | { kind: 'none' }
  /** A live `uiprocs watch` (its `run/.watch.json` is believed): it keeps them alive. */
  | { kind: 'watch'; pid: number }
  | { kind: 'supervisor'; pid: number }
  /** A `run/.supervisor.json` whose process is gone (or its PID reused). */
  | { kind: 'stale-supervisor'; pid: number };

export type SupervisorDecision =
  | { action: 'none'; cause: string }
  | { action: 'leave'; cause: string }
  | { action: 'spawn'; cause: string; names: string[] };

export interface SupervisorQuestion {
  /** Services that run now (after the converge) and need supervision. */
  supervised: string[];
  holder: DutyHolder;
  /** `up --no-supervise`. */
  optOut?: boolean;
  /** `supervise: false` at the top of the manifest. */
  manifestOptOut?: boolean;
  /** The manifest asks for a dashboard (`dashboard: { port }`) and some service runs. */
  serveDashboard?: boolean;
}

/** After a converge, under the lock: start a supervisor, or not, and why. */
export function decideSupervisor(q: SupervisorQuestion): SupervisorDecision {
  if (q.manifestOptOut) return { action: 'none', cause: 'supervise: false in the manifest' };
  if (q.optOut) return { action: 'none', cause: '--no-supervise' };
  if (q.supervised.length === 0 && !q.serveDashboard)
    return { action: 'none', cause: 'no running service has a restart policy' };
  const names = q.supervised.length > 0 ? q.supervised.join(', ') : 'the dashboard';
  const need = q.supervised.length > 0 ? 'need' : 'needs';
  switch (q.holder.kind) {
    case 'watch':
      return { action: 'leave', cause: `uiprocs watch (pid ${q.holder.pid}) keeps ${names} alive` };
    case 'supervisor':
      return { action: 'leave', cause: `supervisor (pid ${q.holder.pid}) keeps ${names} alive` };
    case 'stale-supervisor':
      return {
        action: 'spawn',
        cause: `${names} ${need} a supervisor; the last one (pid ${q.holder.pid}) is gone`,
        names: q.supervised,
      };
    case 'none':
      return { action: 'spawn', cause: `${names} ${need} a supervisor`, names: q.supervised };
  }
}

/** What the supervisor sees at the end of a tick. */
export interface SupervisorTick {
  stateDirGone: boolean;
  /** `run/.supervisor.json` still describes this very process. */
  recordIsMine: boolean;
  /** A live `uiprocs watch` holds the duties. */
  watchPid: number | undefined;
  /** Supervised services that run now. */
  supervised: string[];
  /** Restarts decided but not yet done (a backoff delay running). */
  pendingRestarts: number;
  /** The manifest asks for a dashboard and some service runs: it stays to serve it. */
  serveDashboard?: boolean;
}

export type SupervisorVerdict = { action: 'stay' } | { action: 'exit'; why: string };

/** The `why` of the one exit verdict that is only a candidate (confirmed under the lock). */
export const NOTHING_TO_SUPERVISE = 'nothing it supervises runs any more';

/**
 * Whether the supervisor should end now. "Nothing left to supervise" is only a candidate:
 * the caller confirms it under the state lock with a fresh look before it leaves, so an
 * `up` that just started a service (and found this supervisor alive) is never orphaned.
 */
export function judgeTick(t: SupervisorTick): SupervisorVerdict {
  if (t.stateDirGone) return { action: 'exit', why: 'its state dir is gone' };
  if (!t.recordIsMine) return { action: 'exit', why: 'its record was removed or replaced' };
  if (t.watchPid !== undefined)
    return { action: 'exit', why: `uiprocs watch (pid ${t.watchPid}) took the duties over` };
  if (t.supervised.length === 0 && t.pendingRestarts === 0 && !t.serveDashboard)
    return { action: 'exit', why: NOTHING_TO_SUPERVISE };
  return { action: 'stay' };
}
