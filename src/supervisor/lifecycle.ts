/**
 * The life of one detached supervisor, as a tagged union with a pure step function
 * (unit-tested in test/unit/supervisor-lifecycle.test.ts):
 *
 * ```
 *              claimed (its record, under the lock)
 *   starting ─────────────────────────────────────▶ supervising ◀─┐ tick: stay
 *      │                                             │  │  │  └────┘
 *      │ not-mine (no record of it: the spawner      │  │  │
 *      │ failed, or another supervisor won)          │  │  └─ watch took over ─▶ handing-over
 *      ▼                                             │  │                            │
 *   exiting ◀── signal (SIGTERM / SIGINT) ───────────┘  │                            │
 *      ▲   ◀── state dir gone, record lost, nothing ────┘                            │
 *      │       left to supervise (confirmed under the lock)                          │
 *      └──────────────────────────────────── handed-over (its loop stopped) ─────────┘
 * ```
 *
 * SIGHUP is ignored in every phase: the supervisor has no terminal to lose.
 */
import type { SupervisorVerdict } from '../core/supervision.js';

export type Lifecycle =
  | { phase: 'starting' }
  | { phase: 'supervising'; since: number }
  | { phase: 'handing-over'; to: number }
  | { phase: 'exiting'; why: string };

export type LifecycleEvent =
  | { type: 'claimed'; at: number }
  | { type: 'not-mine' }
  | { type: 'tick'; verdict: SupervisorVerdict; watchPid?: number }
  | { type: 'signal'; signal: string }
  | { type: 'handed-over' };

export function step(state: Lifecycle, event: LifecycleEvent): Lifecycle {
  if (state.phase === 'exiting') return state;
  switch (event.type) {
    case 'signal':
      return { phase: 'exiting', why: `${event.signal} received` };
    case 'claimed':
      return state.phase === 'starting' ? { phase: 'supervising', since: event.at } : state;
    case 'not-mine':
      return state.phase === 'starting'
        ? { phase: 'exiting', why: 'its record names another process (or none)' }
        : state;
    case 'tick':
      if (state.phase !== 'supervising' || event.verdict.action === 'stay') return state;
      if (event.watchPid !== undefined) return { phase: 'handing-over', to: event.watchPid };
      return { phase: 'exiting', why: event.verdict.why };
    case 'handed-over':
      return state.phase === 'handing-over'
        ? { phase: 'exiting', why: `uiprocs watch (pid ${state.to}) holds the duties` }
        : state;
  }
}
