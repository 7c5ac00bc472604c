/**
 * Restart policy and exponential backoff for services that die while watch runs. Pure:
 * state in, decision and next state out, time passed as a number — so the whole policy
 * is unit-tested without processes or clocks.
 *
 * Rules (DESIGN.md, Watch; issue 5):
 * - `no` never restarts; `on-failure` restarts on a non-zero or *unknown* exit (a process
 *   watch did not spawn itself has no exit status to read, and an unexplained death is a
 *   failure); `always` restarts on any exit.
 * - Delay before restart n (0-based) is `1 s * 2^n`, capped at 30 s: 1, 2, 4, 8, 16, 30, 30…
 * - The count resets once the service has stayed up for 60 s: a service that crashes
 *   once a day is not "crash looping", and should come back after 1 s every time.
 * - `max_restarts` is the number of consecutive restarts allowed (as Docker's
 *   `on-failure:N`): with `max_restarts: 5` the service is restarted 5 times, and the
 *   6th consecutive crash gives up. `0` means: never restart, report the crash instead.
 */
import type { RestartPolicy } from './model.js';

export interface BackoffConfig {
  /** Delay before the first restart. Default 1000 ms. */
  initialDelayMs: number;
  /**
   * Delay of the first restart of a streak only, when set (the supervisor's 100 ms, as
   * docker's first restart): a single crash comes back at once, and from the second crash
   * in a row the doubling of `initialDelayMs` applies as before (1, 2, 4 … s).
   */
  firstDelayMs?: number;
  /** Cap of the doubling delay. Default 30 000 ms. */
  maxDelayMs: number;
  /** Uptime after which the consecutive-restart count resets. Default 60 000 ms. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  resetAfterMs: 60_000,
};

/** Per-service memory of the policy. Start from {@link freshBackoff}. */
export interface BackoffState {
  /** Consecutive restarts so far (reset by {@link BackoffConfig.resetAfterMs} of uptime). */
  restarts: number;
  /** Earliest time the pending restart may run (0 when none was decided). */
  nextAllowedAt: number;
  /** When the service was last seen (or made) running; null while it is down. */
  healthySince: number | null;
  /** Set once the policy gave up; stays set until the service is seen running again. */
  gaveUp: boolean;
}

export const freshBackoff = (): BackoffState => ({
  restarts: 0,
  nextAllowedAt: 0,
  healthySince: null,
  gaveUp: false,
});

/** What decide() needs to know about the service: its manifest policy. */
export interface ServicePolicy {
  name: string;
  restart: RestartPolicy;
  maxRestarts: number;
}

/** How the process ended. `code: null` = unknown (watch did not spawn it), counted as a failure. */
export interface ExitInfo {
  code: number | null;
}

export type RestartDecision =
  | {
      action: 'restart';
      delayMs: number /** 1-based number of this restart in the streak. */;
      attempt: number;
    }
  | { action: 'leave'; why: string }
  | { action: 'give-up'; why: string };

/** The delay before restart `n` (0-based): `initial * 2^n`, capped. */
export function backoffDelay(n: number, config: BackoffConfig = DEFAULT_BACKOFF): number {
  if (n === 0 && config.firstDelayMs !== undefined) return Math.min(config.firstDelayMs, config.maxDelayMs);
  // 2^n overflows to Infinity for large n, which min() caps correctly.
  return Math.min(config.initialDelayMs * 2 ** n, config.maxDelayMs);
}

/**
 * The service was observed running at `now`. Starts the uptime clock, and once uptime
 * reaches `resetAfterMs` forgets the streak. A service seen running after the policy gave
 * up was started by someone (an `up`, a manifest edit), so it gets a clean slate.
 */
export function noteRunning(
  state: BackoffState,
  now: number,
  config: BackoffConfig = DEFAULT_BACKOFF,
): BackoffState {
  if (state.gaveUp) return { ...freshBackoff(), healthySince: now };
  const healthySince = state.healthySince ?? now;
  if (state.restarts > 0 && now - healthySince >= config.resetAfterMs) {
    return { ...freshBackoff(), healthySince };
  }
  return state.healthySince === healthySince ? state : { ...state, healthySince };
}

/**
 * The service died at `now` (exit as far as known): restart it after a delay, leave it
 * down, or give up. Returns the next state to keep for the service.
 */
export function decide(
  state: BackoffState,
  service: ServicePolicy,
  exit: ExitInfo,
  now: number,
  config: BackoffConfig = DEFAULT_BACKOFF,
): { decision: RestartDecision; state: BackoffState } {
  const down = { ...state, healthySince: null };
  if (state.gaveUp) {
    return {
      decision: { action: 'leave', why: `${service.name}: already gave up restarting it` },
      state: down,
    };
  }
  const failed = exit.code !== 0;
  if (service.restart === 'no') {
    return {
      decision: { action: 'leave', why: `${service.name} ${describeExit(exit)}; restart: no` },
      state: down,
    };
  }
  if (service.restart === 'on-failure' && !failed) {
    return {
      decision: { action: 'leave', why: `${service.name} ${describeExit(exit)}; restart: on-failure` },
      state: down,
    };
  }
  // Uptime since the last (re)start long enough: this death starts a new streak.
  const healthyLongEnough = state.healthySince !== null && now - state.healthySince >= config.resetAfterMs;
  const restarts = healthyLongEnough ? 0 : state.restarts;
  if (restarts >= service.maxRestarts) {
    const crashes = restarts + 1;
    const crashed = crashes === 1 ? 'crashed' : `crashed ${crashes} times in a row`;
    return {
      decision: {
        action: 'give-up',
        why: `${service.name} ${crashed}; not restarting (max_restarts: ${service.maxRestarts})`,
      },
      state: { ...down, restarts, gaveUp: true, nextAllowedAt: 0 },
    };
  }
  const delayMs = backoffDelay(restarts, config);
  return {
    decision: { action: 'restart', delayMs, attempt: restarts + 1 },
    state: { restarts: restarts + 1, nextAllowedAt: now + delayMs, healthySince: null, gaveUp: false },
  };
}

function describeExit(exit: ExitInfo): string {
  if (exit.code === null) return 'exited (status unknown)';
  return exit.code === 0 ? 'exited cleanly (code 0)' : `exited with code ${exit.code}`;
}
