/**
 * The health of one process, as a pure state machine fed with probe outcomes (docker's
 * HEALTHCHECK semantics). Time is passed in, so tests drive it with a fake clock.
 *
 * ```
 *                      a success
 *   ┌──────────┐ ───────────────────────> ┌─────────┐
 *   │ starting │                          │ healthy │ <──┐
 *   └──────────┘                          └─────────┘    │ a success
 *        │                                     │         │
 *        │ `retries` failures in a row,        │ `retries` failures in a row
 *        │ after start_period                  v         │
 *        └──────────────────────────────> ┌───────────┐ ─┘
 *                                         │ unhealthy │
 *                                         └───────────┘
 * ```
 *
 * - Every process begins in `starting` (a new PID is a new process: the caller makes a
 *   fresh state for it, `initialHealth`).
 * - A failure of a `starting` process inside `start_period` (measured from the process's
 *   start) does not count and does not reset the streak either: it is only remembered as
 *   the last failure. A success inside it makes the process healthy at once and ends the
 *   start period, as in docker: a healthy process's failures count from then on.
 * - A success resets the streak; `retries` counted failures in a row make it unhealthy,
 *   from `starting` or `healthy`. An unhealthy process stays unhealthy until a success.
 */
import type { Millis } from './model.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** The last failed attempt: what it saw (`GET /health → 500`) and when (ISO-8601). */
export interface HealthFailure {
  message: string;
  at: string;
}

export type HealthState =
  | { status: 'starting'; failures: number; lastFailure: HealthFailure | null }
  | { status: 'healthy'; failures: number; lastFailure: HealthFailure | null }
  | { status: 'unhealthy'; failures: number; lastFailure: HealthFailure };

export interface HealthPolicy {
  retries: number;
  startPeriod: Millis;
}

/** One attempt's outcome; `detail` says what was seen. */
export type ProbeOutcome = { ok: true } | { ok: false; detail: string };

/** What an outcome changed: `became` is set only on a change of status. */
export interface HealthStep {
  state: HealthState;
  became?: HealthStatus;
}

export function initialHealth(): HealthState {
  return { status: 'starting', failures: 0, lastFailure: null };
}

/**
 * The state after one probe outcome. `sinceStart`: how long the process has been running
 * when the attempt began; `at`: ISO time of the attempt, kept with a failure.
 */
export function noteProbe(
  state: HealthState,
  outcome: ProbeOutcome,
  when: { sinceStart: Millis; at: string },
  policy: HealthPolicy,
): HealthStep {
  if (outcome.ok) {
    const next: HealthState = { status: 'healthy', failures: 0, lastFailure: state.lastFailure };
    return state.status === 'healthy' ? { state: next } : { state: next, became: 'healthy' };
  }
  const lastFailure = { message: outcome.detail, at: when.at };
  if (state.status === 'starting' && when.sinceStart < policy.startPeriod)
    return { state: { ...state, lastFailure } as HealthState };
  const failures = state.failures + 1;
  if (failures >= Math.max(1, policy.retries)) {
    const next: HealthState = { status: 'unhealthy', failures, lastFailure };
    return state.status === 'unhealthy' ? { state: next } : { state: next, became: 'unhealthy' };
  }
  return { state: { status: state.status, failures, lastFailure } as HealthState };
}

/** The restart cause for an unhealthy state: `unhealthy: GET /health → 500 (3 in a row)`. */
export function unhealthyCause(state: HealthState): string {
  const last = state.lastFailure?.message ?? 'probe failed';
  return `unhealthy: ${last} (${state.failures} in a row)`;
}
