/**
 * Polls `cond` until it returns a truthy value (returned) or the timeout passes (throws
 * with `what`, a function when it should describe the state at the timeout), so tests wait for a condition instead of sleeping a guessed amount.
 */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  opts: { timeout?: number; interval?: number; what?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 5000;
  const interval = opts.interval ?? 20;
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await cond();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline)
      throw new Error(
        `timed out after ${timeout} ms waiting for ${typeof opts.what === 'function' ? opts.what() : (opts.what ?? 'condition')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
