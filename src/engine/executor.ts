/**
 * Applies a plan, making no decisions of its own: what to do and why was settled by
 * `plan()`. It only orders the work the way the plan's contract says:
 *
 *   phase 1  stop / remove-stale / the stop half of recreate   dependents before dependencies
 *   phase 2  start / the start half of recreate                 dependencies before dependents
 *
 * Within a phase every action waits only for the actions it must follow, so independent
 * services stop and start in parallel. In phase 2 a dependent waits for each planned
 * dependency to be `started`, `ready` or `completed` (its depends_on condition); when a
 * dependency fails, the dependent is skipped with that reason rather than started against
 * nothing. A one-shot task (isTask in core/model.ts) is not waited for to be ready but to exit: its
 * "ready" moment is its exit 0, and a non-zero exit is its failure.
 *
 * The side effects are injected (`Effects`), which is what lets this file be tested
 * with fakes and the effects be tested with real processes.
 */

import type { DependencyCondition, Failure, Result } from '../core/model.js';
import type { Action, Plan } from '../core/plan.js';
import type { ExecEvent } from '../core/renderer.js';

export interface Effects {
  /**
   * Called for every planned stop and stale removal before the first of them runs, so
   * their bookkeeping (the stop markers) is done while nothing is exiting yet and the
   * signals can then go out back to back.
   */
  prepareStop?(service: string): Result<void>;
  /** Stop a running service and remove its record. */
  stop(service: string, cause: string): Promise<Result<{ message: string }>>;
  /** Forget a stale record. */
  removeStale(service: string): Promise<Result<{ message: string }>>;
  /** Spawn the service and record it; resolves once it is started (has a PID). */
  start(service: string): Promise<Result<{ message: string }>>;
  /** Wait until the started service passes its ready probe. */
  waitReady(service: string): Promise<Result<{ message: string }>>;
  /** A task: wait until it exits; ok for exit 0, a failure naming the code otherwise. */
  waitCompleted?(service: string): Promise<Result<{ message: string }>>;
}

export interface ExecResult {
  ok: boolean;
  failed: { action: Action; failure: Failure }[];
  skipped: { action: Action; why: string }[];
  /** Started (or already running), not yet ready when `interrupt` fired: left running unconfirmed. */
  unconfirmed: string[];
}

export interface ExecOptions {
  /** depends_on of each desired service: name → (dependency → condition). */
  dependsOn: (service: string) => Record<string, DependencyCondition>;
  emit: (event: ExecEvent) => void;
  /** Whether the service is a one-shot task (isTask in core/model.ts): its start ends with its exit. */
  isTask?: (service: string) => boolean;
  /**
   * Ctrl-C during `up`: nothing more is started (the rest is skipped as `interrupted`) and
   * what runs is no longer waited for (it is listed in `unconfirmed`). Stops still finish.
   */
  interrupt?: AbortSignal;
}

type Outcome = { ok: true } | { ok: false; why: string };

/** A start that others may wait on at two moments: spawned, and ready (for a task: completed). */
interface StartHandle {
  started: Promise<Outcome>;
  ready: Promise<Outcome>;
}

export async function execute(plan: Plan, effects: Effects, options: ExecOptions): Promise<ExecResult> {
  const result: ExecResult = { ok: true, failed: [], skipped: [], unconfirmed: [] };
  const fail = (action: Action, failure: Failure) => {
    result.ok = false;
    result.failed.push({ action, failure });
    options.emit({ type: 'failed', action, failure });
  };
  const skip = (action: Action, why: string) => {
    result.ok = false;
    result.skipped.push({ action, why });
    options.emit({ type: 'skipped', action, why });
  };

  await runStops(plan, effects, options, fail);

  const handles = new Map<string, StartHandle>();
  const leave = (service: string) => {
    result.ok = false;
    result.unconfirmed.push(service);
  };
  for (const service of plan.awaitReady) {
    handles.set(service, confirmReady(service, effects, options, fail, leave));
  }
  const starts = plan.actions.filter((a) => a.kind === 'start' || a.kind === 'recreate');
  const stopFailed = new Set(result.failed.map((f) => f.action.service));
  for (const action of starts) {
    handles.set(
      action.service,
      startOne(action, effects, options, handles, stopFailed, { fail, skip, leave }),
    );
  }
  await Promise.all([...handles.values()].map((h) => h.ready));
  return result;
}

/** Phase 1: each stop first waits for the planned stops of the services that depend on it. */
async function runStops(
  plan: Plan,
  effects: Effects,
  options: ExecOptions,
  fail: (action: Action, failure: Failure) => void,
): Promise<void> {
  const stopping = plan.actions.filter((a) => a.kind !== 'start');
  const unprepared = new Set<string>();
  for (const action of stopping) {
    const prepared = effects.prepareStop?.(action.service);
    if (prepared !== undefined && !prepared.ok) {
      fail(action, prepared.error);
      unprepared.add(action.service);
    }
  }
  const done = new Map<string, Promise<void>>();
  // Plan order already puts dependents first, so every dependent's promise exists when needed.
  for (const action of stopping) {
    const dependents = stopping
      .filter((other) => options.dependsOn(other.service)[action.service] !== undefined)
      .map((other) => done.get(other.service))
      .filter((p): p is Promise<void> => p !== undefined);
    done.set(
      action.service,
      Promise.all(dependents).then(async () => {
        if (unprepared.has(action.service)) return;
        options.emit({ type: 'begin', action });
        const res =
          action.kind === 'remove-stale'
            ? await effects.removeStale(action.service)
            : await effects.stop(action.service, action.cause);
        if (!res.ok) return fail(action, res.error);
        // A recreate reports once, when its start half is done.
        if (action.kind === 'recreate')
          options.emit({ type: 'progress', action, message: res.value.message });
        else options.emit({ type: 'done', action, message: res.value.message });
      }),
    );
  }
  await Promise.all(done.values());
}

/** A service that already runs: started by definition; ready once its probe passes. */
function confirmReady(
  service: string,
  effects: Effects,
  options: ExecOptions,
  fail: (action: Action, failure: Failure) => void,
  leave: (service: string) => void,
): StartHandle {
  const ready = settled(service, effects, options).then((res): Outcome => {
    if (res === INTERRUPTED) {
      leave(service);
      return { ok: false, why: 'interrupted' };
    }
    if (res.ok) return { ok: true };
    fail({ kind: 'start', service, cause: 'already running, not ready' }, res.error);
    return { ok: false, why: 'not ready' };
  });
  return { started: Promise.resolve({ ok: true }), ready };
}

const INTERRUPTED = Symbol('interrupted');

/** The moment a started service is settled: ready, or for a task, exited — or the interrupt. */
function settled(
  service: string,
  effects: Effects,
  options: ExecOptions,
): Promise<Result<{ message: string }> | typeof INTERRUPTED> {
  const wait =
    options.isTask?.(service) && effects.waitCompleted
      ? effects.waitCompleted(service)
      : effects.waitReady(service);
  const interrupt = options.interrupt;
  if (interrupt === undefined) return wait;
  if (interrupt.aborted) return Promise.resolve(INTERRUPTED);
  return Promise.race([
    wait,
    new Promise<typeof INTERRUPTED>((resolve) =>
      interrupt.addEventListener('abort', () => resolve(INTERRUPTED), { once: true }),
    ),
  ]);
}

function startOne(
  action: Action,
  effects: Effects,
  options: ExecOptions,
  handles: Map<string, StartHandle>,
  stopFailed: Set<string>,
  report: {
    fail: (action: Action, failure: Failure) => void;
    skip: (action: Action, why: string) => void;
    leave: (service: string) => void;
  },
): StartHandle {
  const { fail, skip, leave } = report;
  let markStarted!: (o: Outcome) => void;
  const started = new Promise<Outcome>((resolve) => {
    markStarted = resolve;
  });
  const ready = (async (): Promise<Outcome> => {
    const give = (o: Outcome): Outcome => {
      markStarted(o);
      return o;
    };
    if (stopFailed.has(action.service)) {
      return give({ ok: false, why: `${action.service} could not be stopped` });
    }
    for (const [dep, condition] of Object.entries(options.dependsOn(action.service))) {
      const handle = handles.get(dep);
      if (handle === undefined) continue; // not planned: already running as it should
      const outcome = await (condition === 'started' ? handle.started : handle.ready);
      if (!outcome.ok) {
        const why = outcome.why === 'interrupted' ? 'interrupted' : `dependency ${dep} failed`;
        skip(action, why);
        return give({ ok: false, why });
      }
    }
    if (options.interrupt?.aborted) {
      skip(action, 'interrupted');
      return give({ ok: false, why: 'interrupted' });
    }
    if (action.kind === 'start') options.emit({ type: 'begin', action });
    const spawned = await effects.start(action.service);
    if (!spawned.ok) {
      fail(action, spawned.error);
      return give({ ok: false, why: 'failed to start' });
    }
    markStarted({ ok: true });
    options.emit({ type: 'progress', action, message: spawned.value.message });
    const isReady = await settled(action.service, effects, options);
    if (isReady === INTERRUPTED) {
      leave(action.service);
      return { ok: false, why: 'interrupted' };
    }
    if (!isReady.ok) {
      fail(action, isReady.error);
      return { ok: false, why: 'not ready' };
    }
    options.emit({ type: 'done', action, message: isReady.value.message });
    return { ok: true };
  })();
  return { started, ready };
}
