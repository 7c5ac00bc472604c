/**
 * The health side of the duties (a foreground `uiprocs watch`, or the supervisor): every running
 * service that has a `healthcheck` is probed every `interval`, and its health (health.ts)
 * is tracked per process. Like the other loops it knows nothing of manifests, records or
 * the lock: what runs, how to probe it and what to do with the outcome are injected, so it
 * is unit-tested with a fake clock and fake probes, and `duties/health-checks.ts` wires it.
 *
 * - `targets()` is asked every `syncMs` what should be probed: one entry per running
 *   process with a healthcheck, keyed by its identity (PID + start time). A key seen for
 *   the first time is tracked afresh in `starting` and probed at once; a key that is gone
 *   is forgotten (an in-flight probe's outcome is then dropped). A restarted service has a
 *   new PID, hence a new key: it starts again in `starting`, as in docker.
 * - One service is never probed twice at once. The next probe is due `interval` after the
 *   previous one began, and never before it settled.
 * - An attempt that takes longer than `timeout` is a failure at that moment; the probe is
 *   handed the same timeout so it gives up on its own, and the next attempt still waits
 *   for it to settle.
 * - Each change of a process's state is reported (`changed`, with `became` when the status
 *   changed), so the caller can write it down and act on `unhealthy`.
 */

import {
  type HealthState,
  type HealthStatus,
  initialHealth,
  noteProbe,
  type ProbeOutcome,
} from '../core/health.js';
import type { ProcessKey } from '../core/identity.js';
import type { HealthSpec } from '../core/model.js';
import { type Scheduler, systemScheduler, type TimerId } from '../core/scheduler.js';

export interface HealthTarget {
  name: string;
  /** The process's identity (`pid:startTime`): a new key is a new process, tracked afresh. */
  key: ProcessKey;
  spec: HealthSpec;
  /** Wall-clock ms (like Date.now) when the process started: start_period counts from it. */
  startedAt: number;
}

/** One attempt. `'gone'`: the process is no longer there; nothing is counted. */
export type HealthProbe = (target: HealthTarget, timeoutMs: number) => Promise<ProbeOutcome | 'gone'>;

export type HealthEvent =
  /** A state was made or changed; `previous` undefined for a process tracked afresh. */
  | {
      type: 'changed';
      target: HealthTarget;
      state: HealthState;
      previous: HealthState | undefined;
      became?: HealthStatus;
    }
  /** The process is no longer among the targets (stopped, restarted, removed). */
  | { type: 'forgotten'; name: string; key: ProcessKey }
  | { type: 'targets-failed'; error: unknown };

export interface HealthLoopOptions {
  targets: () => Promise<readonly HealthTarget[]>;
  probe: HealthProbe;
  onEvent: (event: HealthEvent) => void;
  scheduler?: Scheduler;
  /** Wall clock in ms, for start_period and failure times; default Date.now. */
  wallNow?: () => number;
  /** How often the targets are read again; default 1000 ms. */
  syncMs?: number;
}

export const DEFAULT_HEALTH_SYNC_MS = 1000;

interface Tracked {
  target: HealthTarget;
  state: HealthState;
  timer: TimerId | undefined;
  /** Fires when the attempt in flight has taken `timeout`. */
  timeoutTimer: TimerId | undefined;
  /** The attempt in flight (settles when the probe itself does, not at its timeout). */
  inFlight: Promise<void> | undefined;
}

export class HealthLoop {
  private readonly tracked = new Map<string, Tracked>();
  private readonly scheduler: Scheduler;
  private readonly wallNow: () => number;
  private readonly syncMs: number;
  private syncTimer: TimerId | undefined;
  private syncing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: HealthLoopOptions) {
    this.scheduler = options.scheduler ?? systemScheduler();
    this.wallNow = options.wallNow ?? Date.now;
    this.syncMs = options.syncMs ?? DEFAULT_HEALTH_SYNC_MS;
  }

  start(): void {
    if (this.stopped || this.syncing !== undefined || this.syncTimer !== undefined) return;
    this.runSync();
  }

  /** Read the targets now (after a converge changed what runs), instead of at the next sync. */
  refresh(): void {
    if (this.stopped || this.syncing !== undefined) return;
    if (this.syncTimer !== undefined) this.scheduler.clearTimer(this.syncTimer);
    this.syncTimer = undefined;
    this.runSync();
  }

  /** The state of a service's current process, for tests and reporting. */
  stateOf(name: string): HealthState | undefined {
    for (const t of this.tracked.values()) if (t.target.name === name) return t.state;
    return undefined;
  }

  /** Cancels every timer; resolves once the sync and the probes in flight have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.syncTimer !== undefined) this.scheduler.clearTimer(this.syncTimer);
    this.syncTimer = undefined;
    const pending = [this.syncing, ...[...this.tracked.values()].map((t) => t.inFlight)];
    for (const t of this.tracked.values()) this.cancel(t);
    this.tracked.clear();
    await Promise.all(pending);
  }

  private runSync(): void {
    this.syncing = this.sync().finally(() => {
      this.syncing = undefined;
      if (!this.stopped)
        this.syncTimer = this.scheduler.setTimer(this.syncMs, () => {
          this.syncTimer = undefined;
          this.runSync();
        });
    });
  }

  private async sync(): Promise<void> {
    let targets: readonly HealthTarget[];
    try {
      targets = await this.options.targets();
    } catch (error) {
      this.emit({ type: 'targets-failed', error });
      return;
    }
    if (this.stopped) return;
    const keys = new Set(targets.map((t) => t.key));
    for (const [key, t] of this.tracked) {
      if (keys.has(key)) continue;
      this.cancel(t);
      this.tracked.delete(key);
      this.emit({ type: 'forgotten', name: t.target.name, key });
    }
    for (const target of targets) {
      const known = this.tracked.get(target.key);
      if (known !== undefined) {
        // A manifest edit may have changed interval, retries…: the next attempt uses them.
        known.target = target;
        continue;
      }
      const t: Tracked = {
        target,
        state: initialHealth(),
        timer: undefined,
        timeoutTimer: undefined,
        inFlight: undefined,
      };
      this.tracked.set(target.key, t);
      this.emit({ type: 'changed', target, state: t.state, previous: undefined });
      this.attempt(t);
    }
  }

  private attempt(t: Tracked): void {
    if (this.stopped || this.tracked.get(t.target.key) !== t) return;
    const began = this.scheduler.now();
    const beganWall = this.wallNow();
    const { spec } = t.target;
    let settled = false;
    const finish = (outcome: ProbeOutcome | 'gone') => {
      if (settled) return;
      settled = true;
      if (outcome === 'gone' || this.stopped || this.tracked.get(t.target.key) !== t) return;
      const previous = t.state;
      const step = noteProbe(
        t.state,
        outcome,
        { sinceStart: beganWall - t.target.startedAt, at: new Date(beganWall).toISOString() },
        t.target.spec,
      );
      t.state = step.state;
      if (!sameState(previous, step.state))
        this.emit({ type: 'changed', target: t.target, state: step.state, previous, became: step.became });
    };
    t.timeoutTimer = this.scheduler.setTimer(spec.timeout, () => {
      t.timeoutTimer = undefined;
      finish({ ok: false, detail: `no answer within ${formatMs(spec.timeout)}` });
    });
    const run = this.options
      .probe(t.target, spec.timeout)
      .catch((error: unknown): ProbeOutcome => ({ ok: false, detail: String(error) }))
      .then((outcome) => {
        if (t.timeoutTimer !== undefined) this.scheduler.clearTimer(t.timeoutTimer);
        t.timeoutTimer = undefined;
        finish(outcome);
      });
    t.inFlight = run.then(() => {
      t.inFlight = undefined;
      if (this.stopped || this.tracked.get(t.target.key) !== t) return;
      const wait = Math.max(0, began + t.target.spec.interval - this.scheduler.now());
      t.timer = this.scheduler.setTimer(wait, () => {
        t.timer = undefined;
        this.attempt(t);
      });
    });
  }

  private cancel(t: Tracked): void {
    if (t.timer !== undefined) this.scheduler.clearTimer(t.timer);
    if (t.timeoutTimer !== undefined) this.scheduler.clearTimer(t.timeoutTimer);
    t.timer = undefined;
    t.timeoutTimer = undefined;
  }

  private emit(event: HealthEvent): void {
    try {
      this.options.onEvent(event);
    } catch {
      // A reporting bug must not stop the probes.
    }
  }
}

function sameState(a: HealthState, b: HealthState): boolean {
  return (
    a.status === b.status &&
    a.failures === b.failures &&
    a.lastFailure?.message === b.lastFailure?.message &&
    a.lastFailure?.at === b.lastFailure?.at
  );
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`;
}
