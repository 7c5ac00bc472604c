/**
 * The detached supervisor's main loop (`uiprocs __supervise --state-dir <dir>`, spawned by
 * engine/spawn-supervisor.ts). It holds the duties (duties/start-duties.ts) for the services of
 * `run/.desired.json` that need supervision, and leaves as soon as it has nothing to do.
 * Its phases are supervisor/lifecycle.ts; its exit rule is core/supervision.ts judgeTick.
 *
 * Cheap when idle (the budget: 50 services, ≤ 0.3 % of a core, ≤ 45 MB): a tick is one
 * `stat` of `run/` and one `/proc/<pid>/stat` read per record while `run/` is unchanged
 * (state/run-dir.ts); the records, `.desired.json` and the holder records are read again
 * only after `run/` changed; logs are checked for rotation every 10 s, not every tick. It
 * loads no manifest code (no yaml, no validator), no file watcher and no renderer.
 */
import { writeSync } from 'node:fs';
import { systemClock } from '../core/clock.js';
import type { RunRecord } from '../core/model.js';
import {
  judgeTick,
  memoryWatched,
  NOTHING_TO_SUPERVISE,
  needsDutyHolder,
  servesDashboard,
  supervisedAmong,
} from '../core/supervision.js';
import type { DutyLoader } from '../duties/duty.js';
import { type Duties, startDuties } from '../duties/start-duties.js';
import type { ConvergeView } from '../engine/converge.js';
import { getSystem } from '../runtime/system.js';
import {
  type HolderRecord,
  holderIsMe,
  ownHolderRecord,
  readHolder,
  readSnapshot,
  removeHolderIf,
  type Snapshot,
} from '../state/holder-record.js';
import { acquireLock } from '../state/lock.js';
import { observe } from '../state/observe.js';
import { readRecord } from '../state/store.js';
import { type Lifecycle, type LifecycleEvent, step } from './lifecycle.js';

/**
 * How a restart shows in the supervisor's log: each step's result on a line of its own (the
 * cause was said before the restart), no plan and no lock wait (nobody is watching).
 */
function logView(say: (line: string) => void): ConvergeView {
  return {
    plan: () => {},
    waitLock: () => {},
    event: (e) => {
      if (e.type === 'done') say(`${e.action.service}: ${e.message}`);
      if (e.type === 'failed')
        say(`${e.action.service}: ${'message' in e.failure ? e.failure.message : e.failure.reason}`);
    },
  };
}

/** The manifest's dashboard, imported only once the manifest asks for one. */
const loadDashboardDuty: DutyLoader = async (ctx) =>
  (await import('../dashboard/duty.js')).dashboardDuty(ctx);

export interface SupervisorOptions {
  stateDir: string;
  env: Record<string, string | undefined>;
}

/**
 * The environment a restart of `name` runs with: the one of the converge that asked for
 * supervision (the snapshot's), and the placement its record says it had — a service the
 * user started with UIPROCS_PLACE=none comes back unplaced whatever a later `up` said.
 */
function restartEnv(
  stateDir: string,
  name: string,
  callerEnv: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const record = readRecord(stateDir, name);
  const kind = record.ok ? record.value?.place?.kind : undefined;
  return kind === undefined ? callerEnv : { ...callerEnv, UIPROCS_PLACE: kind };
}

function positiveMs(value: string | undefined): number | undefined {
  const n = Number(value ?? '');
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Runs until the supervisor should end; resolves with its exit code. */
export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const { stateDir, env } = options;
  const system = getSystem(env);
  const clock = systemClock;
  const say = (line: string) => {
    try {
      writeSync(1, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // the log is gone with the state dir; the next tick notices
    }
  };
  let state: Lifecycle = { phase: 'starting' };
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  let duties: Duties | undefined;
  let me: HolderRecord | undefined;
  /** True while a restart runs inside the lock: a SIGTERM then waits for it to finish. */
  let insideLock = false;
  let exitAfterLock = false;

  let finished = false;
  const finish = () => {
    const s = now();
    if (s.phase !== 'exiting' || finished) return;
    finished = true;
    say(`exiting: ${s.why}`);
    if (me) removeHolderIf(stateDir, 'supervisor', me);
    resolveDone(0);
  };
  const apply = (event: LifecycleEvent): Lifecycle => {
    state = step(state, event);
    return state;
  };
  /** The phase as it is now (signals change it between awaits). */
  const now = (): Lifecycle => state;

  process.on('SIGHUP', () => say('SIGHUP ignored'));
  const onSignal = (signal: string) => {
    apply({ type: 'signal', signal });
    // A restart inside the lock finishes first (its record must be written); one merely
    // waiting for the lock has done nothing yet and is abandoned — whoever sent the signal
    // (`down`) may hold that lock while it waits for this process to be gone.
    if (insideLock) exitAfterLock = true;
    else finish();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // starting: the spawner holds the lock until our record is written; once we have the
  // lock, the record says whether we are the supervisor.
  me = ownHolderRecord('supervisor', system);
  const lock = me ? await acquireLock(stateDir, { command: 'uiprocs supervisor', system, clock }) : undefined;
  let snapshot: Snapshot | undefined;
  let mine = false;
  if (lock?.ok) {
    try {
      mine = me !== undefined && holderIsMe(stateDir, me);
      snapshot = readSnapshot(stateDir);
    } finally {
      lock.value();
    }
  }
  if (!mine || snapshot === undefined) {
    if (mine)
      me = me && { ...me }; // keep it: remove our own record on the way out
    else me = undefined; // not ours to remove
    if (apply({ type: 'not-mine' }).phase !== 'exiting')
      state = { phase: 'exiting', why: 'no desired state to supervise' };
    finish();
    return done;
  }
  if (apply({ type: 'claimed', at: Date.now() }).phase !== 'supervising') {
    finish();
    return done;
  }

  let desired = snapshot.desired;
  const managed = () =>
    desired.supervise === false
      ? []
      : // Every service that stays up: its log is stamped (core/supervision.ts); its policy decides restarts.
        Object.keys(desired.services).filter((n) => needsDutyHolder(desired, n, true));
  let recordIsMine = true;
  let watchPid: number | undefined;
  const lookAtHolders = () => {
    recordIsMine = me !== undefined && holderIsMe(stateDir, me);
    const watch = readHolder(stateDir, 'watch', system);
    watchPid = watch.kind === 'live' ? watch.record.pid : undefined;
  };
  const reloadSnapshot = () => {
    const next = readSnapshot(stateDir);
    if (next && next.mtimeMs !== snapshot?.mtimeMs) {
      snapshot = next;
      desired = next.desired;
    }
  };
  const first = positiveMs(env.UIPROCS_BACKOFF_BASE_MS);

  say(
    managed().length > 0
      ? `supervising ${managed().join(', ')} (pid ${process.pid})`
      : `serving the dashboard; no restart policy to act on (pid ${process.pid})`,
  );
  duties = startDuties({
    system,
    clock,
    command: 'uiprocs supervisor',
    healthEnv: options.env,
    desired: () => desired,
    managed,
    dashboard: loadDashboardDuty,
    startAgain: async (name, guard, cause) => {
      try {
        // Loaded at the first restart: an idle supervisor never needs the planner and
        // executor (a few MB of RSS; see the idle budget in docs/DESIGN.md).
        const { converge } = await import('../engine/converge.js');
        return await converge(
          desired,
          {
            command: 'up',
            targets: [name],
            guard: async () => {
              insideLock = true;
              return guard();
            },
            countRestarts: [name],
            restartCause: cause,
          },
          { system, env: restartEnv(stateDir, name, snapshot?.callerEnv ?? env) },
          logView(say),
        );
      } finally {
        insideLock = false;
        if (exitAfterLock) finish();
      }
    },
    holdsDuties: () => {
      lookAtHolders();
      return recordIsMine && watchPid === undefined;
    },
    say,
    intervalMs: positiveMs(env.UIPROCS_WATCH_INTERVAL_MS),
    traceTicks: env.UIPROCS_TRACE_TICKS === '1',
    // The first restart of a streak comes at once (100 ms, like docker's), so one crash is
    // back within a second or two; from the second crash in a row the doubling applies.
    backoff:
      first === undefined
        ? { firstDelayMs: 100 }
        : { initialDelayMs: first, firstDelayMs: Math.min(first, 100) },
    // Ten ticks: every 10 s at the usual 1 s tick, sooner when UIPROCS_WATCH_INTERVAL_MS is.
    rotateEveryMs: 10 * (positiveMs(env.UIPROCS_WATCH_INTERVAL_MS) ?? 1000),
    cachedLook: true,
    afterTick: async (look, liveness) => {
      if (now().phase !== 'supervising') return;
      if (look.kind === 'seen' && look.reread) {
        reloadSnapshot();
        lookAtHolders();
      } else if (watchPid !== undefined) lookAtHolders();
      const running = new Set<string>();
      const records: RunRecord[] = [];
      if (look.kind === 'seen')
        for (const o of Object.values(look.observed.services))
          if (o.status === 'running' && !look.stopped.has(o.name)) {
            running.add(o.name);
            records.push(o.record);
          }
      let verdict = judgeTick({
        stateDirGone: look.kind === 'gone',
        recordIsMine,
        watchPid,
        supervised: supervisedAmong(desired, running, memoryWatched(records)),
        serveDashboard: servesDashboard(desired, running),
        pendingRestarts: liveness.pendingRestarts(),
      });
      if (verdict.action === 'exit' && verdict.why === NOTHING_TO_SUPERVISE)
        verdict = await confirmIdle(verdict);
      const next = apply({ type: 'tick', verdict, watchPid });
      if (next.phase === 'handing-over') {
        say(`uiprocs watch (pid ${next.to}) takes the duties over`);
        void duties?.stop().then(() => {
          apply({ type: 'handed-over' });
          finish();
        });
        return;
      }
      if (next.phase === 'exiting') {
        // The duties finish first: a service just left down has its remains stopped and its
        // record marked (duties/start-duties.ts) before the process ends.
        void (duties?.stop() ?? Promise.resolve()).finally(finish);
      }
    },
  });

  /**
   * "Nothing left" is believed only under the lock, from a fresh look: an `up` that just
   * started a service found this supervisor's record live and spawned none, so leaving on
   * an older look would orphan that service. The lock is tried once; busy, the next tick
   * decides.
   */
  const confirmIdle = async (verdict: { action: 'exit'; why: string }) => {
    const held = await acquireLock(stateDir, { command: 'uiprocs supervisor', system, clock, timeoutMs: 0 });
    if (!held.ok) return { action: 'stay' as const };
    try {
      reloadSnapshot();
      const seen = observe(stateDir, system, { repair: false });
      const running = new Set<string>();
      const records: RunRecord[] = [];
      for (const o of Object.values(seen.services))
        if (o.status === 'running') {
          running.add(o.name);
          records.push(o.record);
        }
      if (supervisedAmong(desired, running, memoryWatched(records)).length > 0)
        return { action: 'stay' as const };
      // Leave now, still under the lock: from here on an `up` finds no record and spawns anew.
      if (me) removeHolderIf(stateDir, 'supervisor', me);
      return verdict;
    } finally {
      held.value();
    }
  };

  duties.start();
  return done;
}
