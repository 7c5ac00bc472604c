/**
 * Time for the watch loops, as a dependency.
 *
 * `Clock` (core/clock.ts) answers "what time is it" and "wait"; the watch loops also need
 * to *cancel* a wait (a new edit restarts the debounce window, `stop()` drops the next
 * liveness tick), which a promise-based `sleep` cannot express. So they take a Scheduler:
 * setTimeout/clearTimeout behind an interface, with a fake (fake-scheduler.ts) that unit
 * tests advance by hand instead of sleeping.
 */
import { monotonicMs } from './clock.js';

/** Opaque handle of a pending timer; only the scheduler that issued it understands it. */
export type TimerId = number & { readonly __timerId: unique symbol };

export interface Scheduler {
  /** Milliseconds, monotonic (same unit and origin rules as `Clock.now`). */
  now(): number;
  /** Run `fn` once, `ms` from now (a negative or zero delay means "as soon as possible"). */
  setTimer(ms: number, fn: () => void): TimerId;
  /** Cancel a pending timer; unknown or already-fired ids are ignored. */
  clearTimer(id: TimerId): void;
}

/**
 * The real scheduler: a monotonic clock (`monotonicMs`) and Node timers.
 *
 * Timers keep the process alive (they are not unref'd): while watch runs, its pending
 * debounce or liveness tick is work the process still has to do. Each loop's `stop()`
 * clears its timers, which is what lets the process exit afterwards.
 */
export function systemScheduler(): Scheduler {
  const handles = new Map<number, NodeJS.Timeout>();
  let nextId = 1;
  return {
    now: monotonicMs,
    setTimer(ms, fn) {
      const id = nextId++;
      handles.set(
        id,
        setTimeout(
          () => {
            handles.delete(id);
            fn();
          },
          Math.max(0, ms),
        ),
      );
      return id as TimerId;
    },
    clearTimer(id) {
      const handle = handles.get(id);
      if (handle === undefined) return;
      clearTimeout(handle);
      handles.delete(id);
    },
  };
}
