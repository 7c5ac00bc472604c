/**
 * The liveness side of `uiprocs watch`: every `intervalMs`, observe the services; a
 * service that died is restarted by its `restart` policy after the backoff delay, or left
 * down, or given up on (core/restart-policy.ts decides; core/restart-ledger.ts keeps the
 * crash streak beside the unhealthy and memory ones). It runs in a foreground watch or in
 * the detached supervisor (both through duties/start-duties.ts).
 *
 * What counts as a death (see stop-marker.ts for the other half of the contract):
 * - `dead` — a run record whose process is gone, with no stop marker: uiprocs started it
 *   and nobody asked it to stop, so it crashed.
 * - `absent` after this loop saw the service `running` — the record vanished without a
 *   stop marker (another command cleaned up the stale record): also a crash. `absent`
 *   for a service never seen running (never started, disabled…) is left alone.
 * - `stopped` — a stop marker: stopped on purpose by `uiprocs down`; never restarted, and
 *   any pending restart is cancelled. Seen `running` again later (an `up`), it is tracked
 *   afresh.
 *
 * Scheduling: ticks and restarts run one at a time (`observe` and `restart` are never
 * concurrent, with themselves or each other), the next tick is scheduled `intervalMs`
 * after the previous one *finished* (a slow observe cannot make ticks pile up), and
 * `pause()`/`resume()` hold all of it while a reconcile runs — both take the state lock,
 * and waiting on the lock from inside a tick would only stall the loop. After `resume()`
 * a tick runs first, so a restart that fell due meanwhile is re-checked against what the
 * reconcile left behind; likewise every restart is preceded by a fresh observe. The window
 * between that observe and the restart remains, so the injected `restart` must re-check
 * under the lock (start only if still not running and not marked stopped).
 */
import { RestartLedger } from '../core/restart-ledger.js';
import {
  type BackoffConfig,
  type BackoffState,
  DEFAULT_BACKOFF,
  type ServicePolicy,
} from '../core/restart-policy.js';
import { type Scheduler, systemScheduler, type TimerId } from '../core/scheduler.js';

/**
 * One service as `observe` sees it. `exitCode` only when watch itself reaped the process;
 * `cause` says how it ended (`exited (3)`, `SIGKILL`, `exited (code unknown)`), for the
 * restart's record and log line.
 */
export type ServiceLiveness =
  | { status: 'running' }
  | { status: 'dead'; exitCode?: number | null; cause?: string }
  | { status: 'stopped' }
  | { status: 'absent' };

/** Injected: the state of every service watch manages (the desired ones), by name. */
export type ObserveLiveness = () => Promise<ReadonlyMap<string, ServiceLiveness>>;

/**
 * Injected: start `name` again (take the lock, re-check, start, wait for ready). `attempt`
 * is the 1-based number of this restart in the current crash streak. Rejecting counts as
 * one more failed attempt, so the backoff goes on. Resolving `'skipped'` means the re-check
 * under the lock found nothing to do (a `down` marked it stopped, or an `up` started it
 * meanwhile): no restart is reported, and a tick at once learns which it was.
 */
export type RestartService = (
  name: string,
  info: { attempt: number; cause: string },
  // biome-ignore lint/suspicious/noConfusingVoidType: a restart that returns nothing (plain `async () => {}`) is a restart.
) => Promise<void | 'skipped'>;

export type LivenessEvent =
  | { type: 'crashed'; name: string; exitCode: number | null; cause: string }
  | { type: 'restarting'; name: string; attempt: number; delayMs: number }
  | { type: 'restarted'; name: string; attempt: number }
  | { type: 'restart-failed'; name: string; attempt: number; error: unknown }
  /** Not restarted by policy (`restart: no`, or a clean exit under `on-failure`). */
  | { type: 'left-down'; name: string; why: string }
  /** Emitted once per crash streak; `message` is ready to print. */
  | { type: 'gave-up'; name: string; message: string }
  /** A stop marker appeared for a service this loop was keeping alive. */
  | { type: 'stopped-on-purpose'; name: string }
  | { type: 'observe-failed'; error: unknown };

export interface LivenessLoopOptions {
  observe: ObserveLiveness;
  restart: RestartService;
  /** The manifest policy of `name`, read at each decision (edits change it); undefined = not managed. */
  policyOf: (name: string) => ServicePolicy | undefined;
  onEvent: (event: LivenessEvent) => void;
  scheduler?: Scheduler;
  /** Default 1000 ms. */
  intervalMs?: number;
  backoff?: BackoffConfig;
  /** The streaks of restarts in a row, shared with the health and memory duties; default its own. */
  ledger?: RestartLedger;
  /**
   * Runs at the end of every tick, after its deaths were handled (restarts scheduled, or
   * given up): the supervisor decides there whether anything is left for it to do.
   */
  afterTick?: () => Promise<void> | void;
}

export const DEFAULT_LIVENESS_INTERVAL_MS = 1000;

/**
 * - `new`: tracked, but not yet seen running.
 * - `running`: seen running (or restarted by us).
 * - `waiting`: a restart is scheduled; `due`: its delay is over, it waits for its turn.
 * - `stopped`: stopped on purpose (a stop marker). Only a start on request removes the
 *   marker, so a death seen next is of a process started again since: a crash, even when
 *   it died before any tick saw it run (`up web`, then a crash within one interval).
 * - `down`: the death was handled (left, gave up); nothing to do.
 */
type Phase = 'new' | 'running' | 'waiting' | 'due' | 'stopped' | 'down';

interface Tracked {
  phase: Phase;
  timer: TimerId | undefined;
  /** How the last death ended: the cause the restart records. */
  cause?: string;
}

export class LivenessLoop {
  private readonly tracked = new Map<string, Tracked>();
  /** Services whose restart delay is over, in the order they fell due. */
  private readonly due = new Set<string>();
  private tickTimer: TimerId | undefined;
  private tickDue = false;
  private started = false;
  private stopped = false;
  private pauses = 0;
  private active: Promise<void> | undefined;
  private readonly scheduler: Scheduler;
  private readonly intervalMs: number;
  /** The crash streaks (shared with the other duties' causes: core/restart-ledger.ts). */
  private readonly ledger: RestartLedger;

  constructor(private readonly options: LivenessLoopOptions) {
    this.scheduler = options.scheduler ?? systemScheduler();
    this.intervalMs = options.intervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS;
    this.ledger = options.ledger ?? new RestartLedger(options.backoff ?? DEFAULT_BACKOFF);
  }

  /** Begin observing; the first tick runs right away to learn what is running. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.tickDue = true;
    this.pump();
  }

  /**
   * Hold ticks and restarts (counted: each pause needs a resume). Resolves once the tick
   * or restart in progress, if any, has finished — then the caller may take the lock.
   */
  pause(): Promise<void> {
    this.pauses++;
    return this.active ?? Promise.resolve();
  }

  /** Release one pause; when none is left, observe at once, then carry on. */
  resume(): void {
    if (this.pauses === 0) return;
    this.pauses--;
    if (this.pauses > 0 || this.stopped || !this.started) return;
    this.clearTickTimer();
    this.tickDue = true;
    this.pump();
  }

  /** Cancel every timer and pending restart; resolves after the tick or restart in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTickTimer();
    for (const t of this.tracked.values()) this.cancelRestart(t);
    this.due.clear();
    await this.active;
  }

  /** How many restarts are decided and not yet done (a backoff delay runs, or one waits its turn). */
  pendingRestarts(): number {
    let n = 0;
    for (const t of this.tracked.values()) if (t.phase === 'waiting' || t.phase === 'due') n++;
    return n;
  }

  /** Backoff state of a service, for `ps`-like reporting and tests. */
  backoffOf(name: string): Readonly<BackoffState> | undefined {
    return this.tracked.has(name) ? this.ledger.get(name, 'crash') : undefined;
  }

  private pump(): void {
    if (this.active !== undefined || this.pauses > 0 || this.stopped) return;
    this.active = this.drain().finally(() => {
      this.active = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.pauses > 0 || this.stopped) return;
      if (this.tickDue) {
        this.tickDue = false;
        await this.tick();
        this.scheduleTick();
        continue;
      }
      const [name] = this.due;
      if (name === undefined) return;
      this.due.delete(name);
      await this.restartNow(name);
    }
  }

  private scheduleTick(): void {
    if (this.stopped || this.tickTimer !== undefined) return;
    this.tickTimer = this.scheduler.setTimer(this.intervalMs, () => {
      this.tickTimer = undefined;
      this.tickDue = true;
      this.pump();
    });
  }

  private clearTickTimer(): void {
    if (this.tickTimer === undefined) return;
    this.scheduler.clearTimer(this.tickTimer);
    this.tickTimer = undefined;
  }

  private async tick(): Promise<void> {
    let observed: ReadonlyMap<string, ServiceLiveness>;
    try {
      observed = await this.options.observe();
    } catch (error) {
      this.emit({ type: 'observe-failed', error });
      return;
    }
    if (this.stopped) return;
    for (const [name, t] of this.tracked) {
      if (!observed.has(name)) {
        // No longer managed (removed from the manifest by a reconcile): forget it.
        this.cancelRestart(t);
        this.due.delete(name);
        this.tracked.delete(name);
      }
    }
    for (const [name, liveness] of observed) this.see(name, liveness);
    try {
      await this.options.afterTick?.();
    } catch (error) {
      this.emit({ type: 'observe-failed', error });
    }
  }

  private see(name: string, liveness: ServiceLiveness): void {
    let t = this.tracked.get(name);
    if (t === undefined) {
      t = { phase: 'new', timer: undefined };
      this.tracked.set(name, t);
    }
    const now = this.scheduler.now();
    switch (liveness.status) {
      case 'running':
        // Includes someone else (`up`) having started it while a restart was pending.
        this.cancelRestart(t);
        this.due.delete(name);
        this.ledger.fine(name, 'crash', now);
        t.phase = 'running';
        return;
      case 'stopped': {
        const wasAlive = t.phase === 'running' || t.phase === 'waiting' || t.phase === 'due';
        this.cancelRestart(t);
        this.due.delete(name);
        t.phase = 'stopped';
        this.ledger.forget(name, 'crash');
        if (wasAlive) this.emit({ type: 'stopped-on-purpose', name });
        return;
      }
      case 'dead':
        if (t.phase === 'running' || t.phase === 'new' || t.phase === 'stopped')
          this.died(name, t, liveness.exitCode ?? null, true, liveness.cause);
        return;
      case 'absent':
        if (t.phase === 'running') this.died(name, t, null, true, 'gone (its record too)');
        return;
    }
  }

  /** Apply the restart policy to a death; `announce` = emit `crashed` (not after a failed restart). */
  private died(name: string, t: Tracked, exitCode: number | null, announce: boolean, cause?: string): void {
    const policy = this.options.policyOf(name);
    t.phase = 'down';
    if (announce) t.cause = cause ?? (exitCode === null ? 'exited (code unknown)' : `exited (${exitCode})`);
    if (policy === undefined) return;
    if (announce) this.emit({ type: 'crashed', name, exitCode, cause: t.cause! });
    const decision = this.ledger.decide(name, 'crash', policy, { code: exitCode }, this.scheduler.now());
    switch (decision.action) {
      case 'leave':
        this.emit({ type: 'left-down', name, why: decision.why });
        return;
      case 'give-up':
        this.emit({ type: 'gave-up', name, message: decision.why });
        return;
      case 'restart':
        t.phase = 'waiting';
        this.emit({ type: 'restarting', name, attempt: decision.attempt, delayMs: decision.delayMs });
        t.timer = this.scheduler.setTimer(decision.delayMs, () => {
          t.timer = undefined;
          if (t.phase !== 'waiting' || this.tracked.get(name) !== t) return;
          t.phase = 'due';
          this.due.add(name);
          // Observe once more before restarting: the service may have been started by an
          // `up` or stopped by a `down` during the delay.
          this.clearTickTimer();
          this.tickDue = true;
          this.pump();
        });
        return;
    }
  }

  private async restartNow(name: string): Promise<void> {
    const t = this.tracked.get(name);
    if (t === undefined || t.phase !== 'due') return;
    if (this.options.policyOf(name) === undefined) {
      t.phase = 'down';
      return;
    }
    const attempt = this.ledger.restarts(name, 'crash');
    let outcome: unknown;
    try {
      outcome = await this.options.restart(name, { attempt, cause: t.cause ?? 'exited (code unknown)' });
    } catch (error) {
      this.emit({ type: 'restart-failed', name, attempt, error });
      if (this.tracked.get(name) === t && !this.stopped) this.died(name, t, null, false);
      return;
    }
    if (outcome === 'skipped') {
      // Still "alive" to see(): a stop marker then reports stopped-on-purpose, a run continues.
      t.phase = 'running';
      this.tickDue = true;
      return;
    }
    t.phase = 'running';
    this.ledger.set(name, 'crash', { ...this.ledger.get(name, 'crash'), healthySince: this.scheduler.now() });
    this.emit({ type: 'restarted', name, attempt });
  }

  private cancelRestart(t: Tracked): void {
    if (t.timer !== undefined) this.scheduler.clearTimer(t.timer);
    t.timer = undefined;
  }

  private emit(event: LivenessEvent): void {
    try {
      this.options.onEvent(event);
    } catch {
      // A reporting bug must not stop services from being kept alive.
    }
  }
}

/**
 * Wrap a reconcile so the liveness loop holds still while it runs: waits for a tick or
 * restart in progress, runs `fn`, resumes (also when `fn` throws). Use it for the
 * function handed to `ReconcileLoop`, so a reconcile and a restart never queue on the
 * state lock behind each other.
 */
export function pausedDuring<A extends unknown[]>(
  liveness: Pick<LivenessLoop, 'pause' | 'resume'>,
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    await liveness.pause();
    try {
      await fn(...args);
    } finally {
      liveness.resume();
    }
  };
}
