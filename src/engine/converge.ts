/**
 * The one use-case behind up, down, restart and every reconcile of watch:
 *
 *   lock → observe → plan → preflight → execute → unlock
 *
 * The preflight (preflight.ts) checks every start's preconditions (writable log, no
 * foreign process on its port) before anything runs: one bad service fails the whole
 * converge with nothing changed.
 *
 * The lock is taken before observing, so what the plan is made from is still true when
 * it is applied; two `up`s in two terminals run one after the other, and the second
 * finds everything running. `--dry-run` observes and plans without the lock and
 * without creating anything.
 */
import { existsSync } from 'node:fs';
import { type Clock, systemClock } from '../core/clock.js';
import { projectIdOf } from '../core/identity.js';
import {
  type Desired,
  fail,
  type Observed,
  ok,
  type Result,
  type RunRecord,
  taskNames,
} from '../core/model.js';
import { type Plan, type PlanRequest, plan } from '../core/plan.js';
import type { Renderer } from '../core/renderer.js';
import { type ProcessSnapshot, snapshotProcesses, taggedIn } from '../runtime/service-processes.js';
import type { System } from '../runtime/system.js';
import { acquireLock } from '../state/lock.js';
import { observe, runningGroups } from '../state/observe.js';
import { ensureStateDir } from '../state/paths.js';
import { registerProject } from '../state/registry.js';
import { makeEffects } from './effects.js';
import { type ExecResult, execute } from './executor.js';

export interface ConvergeRequest extends PlanRequest {
  dryRun?: boolean;
  stopTimeoutMs?: number;
  /**
   * How long to wait for the state lock before failing as `lock-failed` (default 60 s). The
   * MCP server waits less, so its answer, naming the holder, comes before its client's own
   * request timeout.
   */
  lockTimeoutMs?: number;
  force?: AbortSignal;
  /**
   * Checked under the lock, after observing: false means "nothing to do after all".
   * Watch's restarts use it so a `down` that won the race for the lock is respected.
   */
  guard?: (observed: Observed) => Promise<boolean>;
  /**
   * Watch's liveness restarts: these services' new records count one restart more than the
   * records they replace — written with the record, under the lock.
   */
  countRestarts?: readonly string[];
  /**
   * Keeping the supervisor in step, under the same lock (engine/ensure-supervisor.ts): `before`
   * runs once the plan is made and before it is executed (a `down` of everything stops the
   * supervisor there), `after` once it was executed, also when a service failed (`up`,
   * `restart` and watch ensure one supervisor there when one is needed).
   */
  duties?: ConvergeDuties;
  /** `up --no-supervise`: start no supervisor (read by the command's duties). */
  noSupervise?: boolean;
  /**
   * The CLI's Ctrl-C (cli/signals.ts claimInterrupt), claimed only while the plan is
   * executed, so a Ctrl-C while waiting for the lock still ends the command at once.
   * Interrupted, the converge starts nothing more, still runs `duties.after` (the supervisor
   * for what did start) and fails as `interrupted`, naming what it left running.
   */
  interrupt?: () => { signal: AbortSignal; release: () => void };
}

export interface ConvergeDuties {
  before?: (desired: Desired, observed: Observed) => Promise<void>;
  after?: (
    desired: Desired,
    outcome: { observed: Observed; plan: Plan; started: RunRecord[] },
  ) => Promise<void>;
}

/**
 * Who shows the converge (a Renderer: plain lines, listr2 rows, the supervisor's log lines),
 * passed as is by every caller: `plan` once the plan is made, `event` per step, `waitLock`
 * once another command has held the lock for a second.
 */
export type ConvergeView = Pick<Renderer, 'plan' | 'event' | 'waitLock'>;

export interface ConvergeReport {
  plan: Plan;
  exec: ExecResult | undefined;
  started: RunRecord[];
  /** What ran before this converge (the summary takes an unchanged `port: auto` from it). */
  observed: Observed;
}

export interface Runtime {
  system: System;
  clock?: Clock;
  env: Record<string, string | undefined>;
}

/**
 * For `down`: services that no running record covers but whose tag live processes still
 * carry (one /proc sweep). `down` must leave nothing of the project behind, and a record
 * can be missing — a CLI killed between spawn and record, a damaged record removed. The
 * sweep is also handed to the stops as their first look.
 */
function withLeftovers(
  observed: Observed,
  request: PlanRequest,
  system: System,
  id: string,
): { observed: Observed; seen?: ProcessSnapshot } {
  if (request.command !== 'down') return { observed };
  const seen = snapshotProcesses(system, id, runningGroups(observed));
  const leftovers = [...taggedIn(seen).keys()].filter(
    (name) => observed.services[name]?.status !== 'running',
  );
  return { observed: leftovers.length > 0 ? { ...observed, leftovers } : observed, seen };
}

function observeIfAny(desired: Desired, system: System): Observed {
  return existsSync(desired.stateDir) ? observe(desired.stateDir, system) : { services: {}, warnings: [] };
}

export async function converge(
  desired: Desired,
  request: ConvergeRequest,
  runtime: Runtime,
  view?: ConvergeView,
): Promise<Result<ConvergeReport>> {
  // A Desired made from records knows no services: only a `down` of everything may use it.
  if (desired.recordsOnly && (request.command !== 'down' || request.targets.length > 0))
    throw new Error(`converge: a ${request.command} needs the manifest, not only the run records`);
  const { system } = runtime;
  const clock = runtime.clock ?? systemClock;
  if (request.dryRun) {
    const seen = observeIfAny(desired, system);
    const { observed } = withLeftovers(seen, request, system, projectIdOf(desired, seen));
    const p = plan(desired, observed, { now: Date.now(), ...request });
    view?.plan(p, observed.warnings);
    return ok({ plan: p, exec: undefined, started: [], observed });
  }

  const dir = ensureStateDir(desired.stateDir);
  if (!dir.ok) return dir;
  const lockWarnings: string[] = [];
  const lock = await acquireLock(desired.stateDir, {
    command: `uiprocs ${request.command}`,
    system,
    clock,
    onWait: (holder) => view?.waitLock(holder),
    onBreak: (what) => lockWarnings.push(what),
    ...(request.lockTimeoutMs !== undefined ? { timeoutMs: request.lockTimeoutMs } : {}),
  });
  if (!lock.ok) return lock;
  try {
    const seen = observe(desired.stateDir, system);
    const id = projectIdOf(desired, seen);
    const { observed, seen: swept } = withLeftovers(
      { ...seen, warnings: [...lockWarnings, ...seen.warnings] },
      request,
      system,
      id,
    );
    if (request.guard && !(await request.guard(observed))) {
      return ok({ plan: { actions: [], notes: [], awaitReady: [] }, exec: undefined, started: [], observed });
    }
    const p = plan(desired, observed, { now: Date.now(), ...request });
    const starts = p.actions.some((a) => a.kind === 'start' || a.kind === 'recreate');
    // Where `ls`, `--project` and a port clash elsewhere find this project (state/registry.ts).
    const registered = starts ? registerProject(desired, runtime.env) : ok(undefined);
    view?.plan(
      p,
      registered.ok || !('message' in registered.error)
        ? observed.warnings
        : [...observed.warnings, `not in the project registry (uiprocs ls): ${registered.error.message}`],
    );
    if (starts) {
      const { checkStarts } = await import('./preflight.js');
      const pre = checkStarts(desired, p, system, id, runtime.env);
      if (!pre.ok) return pre;
    }
    await request.duties?.before?.(desired, observed);
    const started: RunRecord[] = [];
    const effects = makeEffects({
      desired,
      observed,
      projectId: id,
      system,
      clock,
      baseEnv: runtime.env,
      stopTimeoutMs: request.stopTimeoutMs,
      force: request.force,
      countRestarts: request.countRestarts,
      restartCause: request.restartCause,
      seen: swept,
      onStarted: (record) => started.push(record),
    });
    const tasks = taskNames(desired);
    const interrupt = request.interrupt?.();
    let exec: ExecResult;
    try {
      exec = await execute(p, effects, {
        dependsOn: (name) => desired.services[name]?.dependsOn ?? {},
        isTask: (name) => tasks.has(name),
        emit: (event) => view?.event(event),
        interrupt: interrupt?.signal,
      });
      await request.duties?.after?.(desired, { observed, plan: p, started });
    } finally {
      interrupt?.release();
    }
    if (interrupt?.signal.aborted) {
      return fail({
        reason: 'interrupted',
        signal: interrupt.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT',
        message: interruptedMessage(exec, started),
      });
    }
    if (!exec.ok) {
      const names = [
        ...exec.failed.map((f) => f.action.service),
        ...exec.skipped.map((s) => s.action.service),
      ];
      const verb = request.command === 'down' ? 'could not be stopped' : 'did not come up';
      return fail({
        reason: 'service-failed',
        message: `${names.length} service${names.length === 1 ? '' : 's'} ${verb}: ${names.join(', ')}`,
      });
    }
    return ok({ plan: p, exec, started, observed });
  } finally {
    lock.value();
  }
}

/**
 * What an interrupted `up` leaves behind, said plainly: the processes it started (they keep
 * running, and the supervisor keeps their restart policy), which of them were not ready yet,
 * and what it never started.
 */
function interruptedMessage(exec: ExecResult, started: RunRecord[]): string {
  const unconfirmed = new Set(exec.unconfirmed);
  const running = started.map(
    (r) => `${r.name} (pid ${r.pid}${unconfirmed.has(r.name) ? ', not ready yet' : ''})`,
  );
  const notStarted = exec.skipped.filter((s) => s.why === 'interrupted').map((s) => s.action.service);
  const parts = [
    running.length > 0 ? `left running ${running.join(', ')}` : 'started nothing',
    ...(notStarted.length > 0 ? [`not started: ${notStarted.join(', ')}`] : []),
  ];
  const next = running.length > 0 ? '; `uiprocs ps` shows them, `uiprocs down` stops them' : '';
  return `interrupted: ${parts.join('; ')}${next}`;
}
