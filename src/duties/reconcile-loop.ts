/**
 * The edit side of `uiprocs watch`: turns a stream of file-change events into a sequence
 * of reconciles that never overlap, never starve, and never pile up.
 *
 * ```
 *                     changed()                          changed(): re-arm the timer
 *      +------+ -------------------> +------------+ <-----+
 *      | idle |                      | debouncing | ------+
 *      +------+ <--------+           +------------+ <---------------------+
 *                        |                 |                              |
 *                        |                 | timer: quiet for debounceMs, |
 *          reconcileDone |                 | or maxWaitMs since 1st edit  | reconcileDone
 *                        |                 v                              |
 *                        |           +-------------+   changed()    +--------+
 *                        +---------- | reconciling | -------------> | queued | <--+
 *                                    +-------------+                +--------+ ---+
 *                                                                       changed(): no-op
 *
 *      stop(), from any state --> stopped   (resolves after an in-flight reconcile ends)
 *      runNow(task): idle --> reconciling, debouncing --> queued   (task runs at once)
 * ```
 *
 * Why each rule:
 * - **Debounce** (~100 ms): editors and `sed -i` produce several events per save (truncate,
 *   write, rename); one reconcile per save is what the user means.
 * - **Max wait** (~1 s): the window restarts on every edit, so a tool rewriting the file in
 *   a loop would otherwise postpone the reconcile forever.
 * - **Queued, not concurrent**: a reconcile takes the state lock and starts/stops
 *   processes; two at once would fight. Edits during a reconcile may have been read by it
 *   or not — we cannot tell — so exactly one more reconcile runs afterwards, however many
 *   edits came (it reads the latest file, so one is enough). That follow-up goes through
 *   the debounce window again (measured from the queued edits), since the save that
 *   queued it may still be in progress.
 * - A failing reconcile (it should report its own errors; a throw is a bug) is passed to
 *   `onError` and the loop carries on: one bad edit must not end watch.
 */
import { type Scheduler, systemScheduler, type TimerId } from '../core/scheduler.js';

export type ReconcileLoopState = 'idle' | 'debouncing' | 'reconciling' | 'queued' | 'stopped';

/** Why a reconcile runs: the files edited since the previous one started. */
export interface ReconcileCause {
  /** Distinct paths, in the order first seen. */
  paths: string[];
  /** Scheduler time of the first and last edit of the batch. */
  firstChangeAt: number;
  lastChangeAt: number;
}

/** Injected: load the manifest, observe, plan, execute, print. Never called concurrently. */
export type Reconcile = (cause: ReconcileCause) => Promise<void>;

export interface ReconcileLoopOptions {
  scheduler?: Scheduler;
  /** Quiet time after the last edit before reconciling. Default 100 ms. */
  debounceMs?: number;
  /** Longest delay from the first edit of a batch to its reconcile. Default 1000 ms. */
  maxWaitMs?: number;
  /** A reconcile rejected; the loop keeps running. Default: print to stderr. */
  onError?: (error: unknown) => void;
  /** Every transition, for debug logging and tests. */
  onStateChange?: (from: ReconcileLoopState, to: ReconcileLoopState) => void;
}

export const DEFAULT_DEBOUNCE_MS = 100;
export const DEFAULT_MAX_WAIT_MS = 1000;

export class ReconcileLoop {
  private current: ReconcileLoopState = 'idle';
  private timer: TimerId | undefined;
  private inFlight: Promise<void> | undefined;
  /** Edits not yet handed to a reconcile. */
  private pending = new Set<string>();
  private firstChangeAt = 0;
  private lastChangeAt = 0;
  private readonly scheduler: Scheduler;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly onStateChange: ((from: ReconcileLoopState, to: ReconcileLoopState) => void) | undefined;

  constructor(
    private readonly reconcile: Reconcile,
    options: ReconcileLoopOptions = {},
  ) {
    this.scheduler = options.scheduler ?? systemScheduler();
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.maxWaitMs = Math.max(options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, this.debounceMs);
    this.onError = options.onError ?? ((error) => console.error('uiprocs watch: reconcile failed:', error));
    this.onStateChange = options.onStateChange;
  }

  get state(): ReconcileLoopState {
    return this.current;
  }

  /**
   * A watched file changed (or re-appeared). An arrow property so it can be handed to the
   * file watcher unbound: `watchFiles(paths, loop.changed)`.
   */
  readonly changed = (path: string): void => {
    if (this.current === 'stopped') return;
    const now = this.scheduler.now();
    if (this.pending.size === 0) this.firstChangeAt = now;
    this.lastChangeAt = now;
    this.pending.add(path);
    switch (this.current) {
      case 'idle':
        this.transition('debouncing');
        this.arm();
        return;
      case 'debouncing':
        this.arm();
        return;
      case 'reconciling':
        this.transition('queued');
        return;
      case 'queued':
        return;
    }
  };

  /**
   * Run `task` now as this loop's reconcile: edits that come while it runs are queued and
   * reconciled after it, as edits during any reconcile. Watch's first converge runs this
   * way with the file watcher already armed, so a save made while it runs (a slow server
   * can take seconds to become ready) is applied, never lost. A batch still debouncing is
   * kept for after `task`: it may have been read by `task` or not. Settles as `task` does
   * (its caller, not `onError`, hears a rejection). Calling it while a reconcile runs is a
   * bug.
   */
  async runNow(task: () => Promise<void>): Promise<void> {
    if (this.current === 'stopped') return;
    if (this.current === 'reconciling' || this.current === 'queued')
      throw new Error('ReconcileLoop.runNow while a reconcile runs');
    if (this.current === 'debouncing') {
      this.disarm();
      this.transition('queued');
    } else {
      this.transition('reconciling');
    }
    let failed: { error: unknown } | undefined;
    this.inFlight = this.run(async () => {
      try {
        await task();
      } catch (error) {
        failed = { error };
      }
    });
    await this.inFlight;
    if (failed) throw failed.error;
  }

  /**
   * Stop reacting to edits. Resolves once an in-flight reconcile has finished (watch must
   * not exit, or take `--down-on-exit` action, while a reconcile holds the lock); a queued
   * or debouncing batch is dropped. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.current !== 'stopped') {
      this.transition('stopped');
      this.disarm();
      this.pending.clear();
    }
    await this.inFlight;
  }

  /** (Re)start the debounce timer: due after `debounceMs` of quiet, capped by the max wait. */
  private arm(): void {
    this.disarm();
    const due = Math.min(this.lastChangeAt + this.debounceMs, this.firstChangeAt + this.maxWaitMs);
    this.timer = this.scheduler.setTimer(due - this.scheduler.now(), () => {
      this.timer = undefined;
      if (this.current === 'debouncing') this.start();
    });
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.scheduler.clearTimer(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    const cause: ReconcileCause = {
      paths: [...this.pending],
      firstChangeAt: this.firstChangeAt,
      lastChangeAt: this.lastChangeAt,
    };
    this.pending = new Set();
    this.transition('reconciling');
    this.inFlight = this.run(() => this.reconcile(cause));
  }

  private async run(task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } catch (error) {
      this.onError(error);
    }
    this.inFlight = undefined;
    this.reconcileDone();
  }

  private reconcileDone(): void {
    if (this.current === 'queued') {
      this.transition('debouncing');
      this.arm();
    } else if (this.current === 'reconciling') {
      this.transition('idle');
    }
    // 'stopped': stop() is awaiting inFlight; nothing more to do.
  }

  private transition(to: ReconcileLoopState): void {
    const from = this.current;
    this.current = to;
    this.onStateChange?.(from, to);
  }
}
