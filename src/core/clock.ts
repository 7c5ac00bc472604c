/**
 * Time as a dependency: timing logic (ready timeouts, stop escalation, watch debouncing,
 * restart backoff) takes a Clock so unit tests drive it without sleeping.
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Monotonic milliseconds from an arbitrary origin. Not `performance.now()`: the first touch
 * of the `performance` global loads perf_hooks and ten modules behind it, a few ms of every
 * CLI run for a number `process.hrtime` gives as well.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const systemClock: Clock = {
  now: monotonicMs,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
