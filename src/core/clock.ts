/**
 * Time as a dependency: timing logic (ready timeouts, stop escalation, watch debouncing,
 * restart backoff) takes a Clock so unit tests drive it without sleeping.
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
