/**
 * The supervisor's side of every converge, run under the state lock the converge holds —
 * so two concurrent `up`s start exactly one supervisor (the second finds the first's record
 * live), and a `down` and a restart cannot interleave with it.
 *
 * - after `up`, `restart` and each converge of watch ({@link afterConverge}): when a running
 *   service needs supervision (core/supervision.ts), write the desired state the converge
 *   used to `run/.desired.json` (what the supervisor restarts from; rewritten only when it
 *   changed), and spawn a supervisor unless a live one (or a live watch) holds the duties.
 *   A running supervisor learns of the change by itself: the write, like every record the
 *   converge wrote, changes `run/`'s mtime, which its next tick notices (state/run-dir.ts).
 * - before `down` of everything ({@link stopSupervisor}): stop the supervisor first (an
 *   identity-checked SIGTERM, then wait until it is gone), so it cannot restart what the
 *   down is about to stop.
 * - a foreground watch takes the duties ({@link takeDuties}) and gives them back
 *   ({@link giveBackDuties}); see docs/DESIGN.md, "The supervisor".
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { type Desired, type Observed, ok, type Result, type RunRecord } from '../core/model.js';
import type { Plan } from '../core/plan.js';
import {
  type DutyHolder,
  decideSupervisor,
  mayNeedSupervision,
  memoryWatched,
  type SupervisorDecision,
  servesDashboard,
  supervisedAmong,
} from '../core/supervision.js';
import type { System } from '../runtime/system.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import {
  desiredSnapshotPath,
  type HolderLook,
  type HolderRecord,
  ownHolderRecord,
  readHolder,
  removeHolderIf,
  writeHolder,
} from '../state/holder-record.js';
import { acquireLock } from '../state/lock.js';
import { observe } from '../state/observe.js';
import { ensureStateDir } from '../state/paths.js';
import { spawnSupervisor, stopHolderProcess } from './spawn-supervisor.js';

export interface SupervisionDeps {
  system: System;
  clock?: Clock;
  env: Record<string, string | undefined>;
  /** `up --no-supervise`. */
  optOut?: boolean;
  /** Where a spawn problem is said (the supervisor is a convenience; `up` still succeeded). */
  warn?: (line: string) => void;
}

/** Service names that run once the converge is over: what ran, minus what it stopped, plus what it started. */
export function runningAfter(
  observed: Observed,
  plan: Plan,
  started: readonly RunRecord[],
): Map<string, RunRecord> {
  const running = new Map<string, RunRecord>();
  for (const o of Object.values(observed.services)) if (o.status === 'running') running.set(o.name, o.record);
  for (const a of plan.actions) if (a.kind === 'stop') running.delete(a.service);
  for (const r of started) running.set(r.name, r);
  return running;
}

export function dutyHolderOf(stateDir: string, system: System): DutyHolder {
  const watch = readHolder(stateDir, 'watch', system);
  if (watch.kind === 'live') return { kind: 'watch', pid: watch.record.pid };
  const sup = readHolder(stateDir, 'supervisor', system);
  if (sup.kind === 'live') return { kind: 'supervisor', pid: sup.record.pid };
  if (sup.kind === 'stale') return { kind: 'stale-supervisor', pid: sup.record.pid };
  if (sup.kind === 'bad') return { kind: 'stale-supervisor', pid: 0 };
  return { kind: 'none' };
}

/**
 * Write `run/.desired.json` unless it already says exactly this: the desired state and the
 * environment of the converge that wrote it (`callerEnv`). Restarts use that environment,
 * not the supervisor's own: a supervisor an earlier `up` spawned must not restart a
 * service started by `UIPROCS_PLACE=none uiprocs up` in a cgroup, or with yesterday's
 * variables. The file is 0600 in the 0700 state dir, like the logs.
 */
export function writeDesiredSnapshot(
  desired: Desired,
  callerEnv: Record<string, string | undefined>,
): Result<void> {
  const path = desiredSnapshotPath(desired.stateDir);
  const text = `${JSON.stringify({ ...desired, callerEnv })}\n`;
  try {
    if (readFileSync(path, 'utf8') === text) return ok(undefined);
  } catch {
    // none yet
  }
  return writeFileAtomic(path, text);
}

/** The caller holds the lock. Ensures one supervisor when one is needed; returns the decision. */
export async function ensureSupervisor(
  desired: Desired,
  running: ReadonlyMap<string, RunRecord>,
  deps: SupervisionDeps,
): Promise<SupervisorDecision> {
  const supervised = supervisedAmong(desired, new Set(running.keys()), memoryWatched(running.values()));
  const serveDashboard = servesDashboard(desired, running);
  if ((supervised.length === 0 && !serveDashboard) || deps.optOut || desired.supervise === false)
    return decideSupervisor({
      supervised,
      holder: { kind: 'none' },
      optOut: deps.optOut,
      manifestOptOut: desired.supervise === false,
    });
  const snap = writeDesiredSnapshot(desired, deps.env);
  if (!snap.ok) {
    deps.warn?.(`warning: cannot write ${desiredSnapshotPath(desired.stateDir)}; no supervisor started`);
    return { action: 'none', cause: 'cannot write the desired state' };
  }
  const holder = dutyHolderOf(desired.stateDir, deps.system);
  const decision = decideSupervisor({ supervised, holder, serveDashboard });
  if (decision.action !== 'spawn') return decision;
  const old = readHolder(desired.stateDir, 'supervisor', deps.system);
  if (old.kind === 'stale') removeHolderIf(desired.stateDir, 'supervisor', old.record);
  if (old.kind === 'bad')
    removeHolderIf(desired.stateDir, 'supervisor', { pid: 0, startTime: '', bootId: '' });
  const spawned = await spawnSupervisor(desired.stateDir, {
    system: deps.system,
    clock: deps.clock ?? systemClock,
    env: deps.env,
  });
  if (!spawned.ok) {
    deps.warn?.(
      `warning: ${'message' in spawned.error ? spawned.error.message : 'cannot start the supervisor'}`,
    );
    return { action: 'none', cause: 'the supervisor could not be started' };
  }
  const written = writeHolder(desired.stateDir, spawned.value);
  if (!written.ok) {
    // Unrecorded, it would find no record of its own and leave at once; make sure.
    try {
      process.kill(spawned.value.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    deps.warn?.('warning: cannot record the supervisor; none is running');
    return { action: 'none', cause: 'the supervisor could not be recorded' };
  }
  return decision;
}

/** The `after` hook of up/restart/watch converges (ConvergeRequest.duties). */
export function afterConverge(deps: SupervisionDeps) {
  return async (desired: Desired, outcome: { observed: Observed; plan: Plan; started: RunRecord[] }) => {
    if (!mayNeedSupervision(desired)) return;
    await ensureSupervisor(desired, runningAfter(outcome.observed, outcome.plan, outcome.started), deps);
  };
}

/** The caller holds the lock: stop the supervisor, if one runs, and forget its record. */
export async function stopSupervisor(
  stateDir: string,
  deps: { system: System; clock?: Clock },
): Promise<void> {
  const look = readHolder(stateDir, 'supervisor', deps.system);
  await stopAndForget(stateDir, look, deps);
}

async function stopAndForget(
  stateDir: string,
  look: HolderLook,
  deps: { system: System; clock?: Clock },
): Promise<void> {
  if (look.kind === 'missing') return;
  if (look.kind === 'bad') {
    removeHolderIf(stateDir, 'supervisor', { pid: 0, startTime: '', bootId: '' });
    return;
  }
  if (look.kind === 'live')
    await stopHolderProcess(look.record, { system: deps.system, clock: deps.clock ?? systemClock });
  removeHolderIf(stateDir, 'supervisor', look.record);
}

/**
 * A foreground watch takes the duties: under the lock it writes `run/.watch.json` (from
 * then on every restart guard of the supervisor says no), then — the lock released, so a
 * restart of the supervisor waiting for it can finish and find it has lost — stops the
 * supervisor and waits until it is gone. Returns the watch's record (for giveBackDuties).
 */
export async function takeDuties(
  desired: Desired,
  deps: { system: System; clock?: Clock },
): Promise<Result<HolderRecord | undefined>> {
  const clock = deps.clock ?? systemClock;
  const me = ownHolderRecord('watch', deps.system);
  if (me === undefined) return ok(undefined);
  const dir = ensureStateDir(desired.stateDir);
  if (!dir.ok) return dir;
  const lock = await acquireLock(desired.stateDir, { command: 'uiprocs watch', system: deps.system, clock });
  if (!lock.ok) return lock;
  let sup: HolderLook;
  try {
    const written = writeHolder(desired.stateDir, me);
    if (!written.ok) return written;
    sup = readHolder(desired.stateDir, 'supervisor', deps.system);
  } finally {
    lock.value();
  }
  await stopAndForget(desired.stateDir, sup, { system: deps.system, clock });
  return ok(me);
}

/**
 * Watch ends: under the lock, remove its record (only if still its own) and, unless the
 * services are about to be stopped (`--down-on-exit`), ensure a supervisor if one is needed.
 */
export async function giveBackDuties(
  desired: Desired,
  me: HolderRecord,
  deps: SupervisionDeps & { ensure: boolean },
): Promise<void> {
  const clock = deps.clock ?? systemClock;
  const lock = await acquireLock(desired.stateDir, { command: 'uiprocs watch', system: deps.system, clock });
  if (!lock.ok) {
    removeHolderIf(desired.stateDir, 'watch', me);
    return;
  }
  try {
    removeHolderIf(desired.stateDir, 'watch', me);
    if (!deps.ensure || !mayNeedSupervision(desired)) return;
    const seen = observe(desired.stateDir, deps.system, { repair: false });
    const running = new Map<string, RunRecord>();
    for (const o of Object.values(seen.services)) if (o.status === 'running') running.set(o.name, o.record);
    await ensureSupervisor(desired, running, deps);
  } finally {
    lock.value();
  }
}
