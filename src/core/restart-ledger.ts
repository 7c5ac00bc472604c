/**
 * The one record of restarts in a row, per service and per cause, for every trigger a duty
 * acts on: a crash (duties/liveness-loop.ts), an unhealthy process (duties/health-checks.ts),
 * a process over its memory limit (duties/memory-watch.ts). Each asks it the same question
 * — "this failed: restart, leave it, or give up?" — and the answer comes from the one
 * restart policy (restart-policy.ts: `restart`, `max_restarts`, the backoff delay). Pure:
 * times are passed in, so every rule below is unit-tested without processes or clocks.
 *
 * Each cause keeps a streak of its own (a crash loop and a health loop are each bounded by
 * `max_restarts`), reset once the service has been fine for `resetAfterMs` (60 s):
 *
 *   cause       fine means                        given up means
 *   crash       its process runs                  left down (until someone starts it)
 *   unhealthy   its health check passes           left running, unhealthy
 *   memory      a process of it ran under limit   stopped
 *
 * A crash streak given up ends as soon as the service is seen running again (someone
 * started it: an `up`, a manifest edit). The other two end only after `resetAfterMs` fine:
 * a server that passes its first checks after each restart and fails again is one streak.
 * Unhealthy and memory restarts run at once; their check's own interval and retries are
 * their delay, so their decisions' `delayMs` is not waited.
 */
import {
  type BackoffConfig,
  type BackoffState,
  DEFAULT_BACKOFF,
  decide,
  type ExitInfo,
  freshBackoff,
  noteRunning,
  type RestartDecision,
  type ServicePolicy,
} from './restart-policy.js';

export type RestartCause = 'crash' | 'unhealthy' | 'memory';

export class RestartLedger {
  private readonly streaks = new Map<string, BackoffState>();

  constructor(readonly config: BackoffConfig = DEFAULT_BACKOFF) {}

  private key(name: string, cause: RestartCause): string {
    return `${cause}\u0000${name}`;
  }

  /** The streak of `name` for `cause` (fresh when none was kept). */
  get(name: string, cause: RestartCause): Readonly<BackoffState> {
    return this.streaks.get(this.key(name, cause)) ?? freshBackoff();
  }

  set(name: string, cause: RestartCause, state: BackoffState): void {
    this.streaks.set(this.key(name, cause), state);
  }

  /** Restarts in a row so far. */
  restarts(name: string, cause: RestartCause): number {
    return this.get(name, cause).restarts;
  }

  /**
   * The service is fine for `cause` at `now`, and has been since `since` (default: now; the
   * memory watch passes the process's start). Starts its uptime clock; after `resetAfterMs`
   * of it the streak is forgotten.
   */
  fine(name: string, cause: RestartCause, now: number, since = now): void {
    const state = this.get(name, cause);
    if (cause === 'crash') {
      this.set(name, cause, noteRunning(state, now, this.config));
      return;
    }
    const healthySince = state.healthySince ?? since;
    if ((state.restarts > 0 || state.gaveUp) && now - healthySince >= this.config.resetAfterMs)
      this.set(name, cause, { ...freshBackoff(), healthySince });
    else if (state.healthySince !== healthySince) this.set(name, cause, { ...state, healthySince });
  }

  /**
   * The service failed for `cause` at `now`: the policy's decision, counted at once (a
   * `restart` decision is attempt `restarts + 1`; {@link undo} takes it back when the
   * restart did not happen after all).
   */
  decide(
    name: string,
    cause: RestartCause,
    policy: ServicePolicy,
    exit: ExitInfo,
    now: number,
  ): RestartDecision {
    let state = this.get(name, cause);
    if (
      cause !== 'crash' &&
      state.healthySince !== null &&
      now - state.healthySince >= this.config.resetAfterMs
    )
      state = freshBackoff();
    const decided = decide(state, policy, exit, now, this.config);
    this.set(name, cause, decided.state);
    return decided.decision;
  }

  /** A decided restart (`attempt`) that did not happen: not counted, unless a later one was decided meanwhile. */
  undo(name: string, cause: RestartCause, attempt: number): void {
    const state = this.get(name, cause);
    if (state.restarts === attempt) this.set(name, cause, { ...state, restarts: attempt - 1 });
  }

  /** Forget the streak (a service stopped on purpose starts over). */
  forget(name: string, cause: RestartCause): void {
    this.streaks.delete(this.key(name, cause));
  }
}
