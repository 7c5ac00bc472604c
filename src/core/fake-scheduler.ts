/**
 * A Scheduler (and Clock) whose time moves only when a test says so.
 *
 * `advance(ms)` fires every timer that falls due within the window, in due-time order
 * (ties in the order they were set), and lets pending promise callbacks run before each
 * timer and after the last one — so an async reconcile that resolves "now" has finished
 * by the time `advance` returns, as it would between two real timer callbacks.
 *
 * Lives under src/ (not test/) so other layers' tests can use it too; nothing in the
 * shipped code path imports it.
 */
import type { Clock } from './clock.js';
import type { Scheduler, TimerId } from './scheduler.js';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Let every queued microtask (and the microtasks they queue) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeScheduler implements Scheduler, Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerId {
    const seq = ++this.seq;
    this.timers.set(seq, { at: this.time + Math.max(0, ms), seq, fn });
    return seq as TimerId;
  }

  clearTimer(id: TimerId): void {
    this.timers.delete(id);
  }

  /** Clock.sleep on fake time: resolves when `advance` passes `now() + ms`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Number of timers still pending (a stopped loop should leave 0). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing due timers in order; see the module comment. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers.delete(next.seq);
      this.time = next.at;
      next.fn();
    }
    this.time = target;
    await flushMicrotasks();
  }

  private nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
