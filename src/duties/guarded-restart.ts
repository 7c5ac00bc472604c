/**
 * A restart asked for by something that watches a running process — its health checks
 * (health-checks.ts) or its memory watchdog (memory-watch.ts) — rather than by its death.
 *
 * It is the converge of `restart <name>`, with the cause in the plan (`unhealthy: GET
 * /health → 500 (3 in a row)`, `memory 612 MB > limit 512 MB`), counted in the record's
 * `restarts`, and guarded under the lock: only the very process that was judged (its PID
 * and start time), not after a `down` of it (stop marker), and only while the caller still
 * holds the duties. The liveness loop is paused meanwhile, so the kill is not taken for a
 * crash.
 *
 * With `stop: true` (a service over its memory limit whose policy is `restart: no`) the
 * process is stopped the same way instead of started again.
 */
import { processKey } from '../core/identity.js';
import type { Desired } from '../core/model.js';
import type { Renderer } from '../core/renderer.js';
import { converge } from '../engine/converge.js';
import type { System } from '../runtime/system.js';
import { wasStopped } from '../state/stop-marker.js';

export interface GuardedRestartDeps {
  desired: () => Desired;
  system: System;
  env: Record<string, string | undefined>;
  say: (line: string) => void;
  liveness?: { pause(): Promise<void>; resume(): void };
  renderer?: () => Promise<Renderer>;
  holdsDuties?: () => boolean;
}

/** `restarted`: a new process runs (its PID); `skipped`: the guard said no; `failed`: said why already. */
export type GuardedRestartResult =
  | { kind: 'restarted'; pid: number }
  | { kind: 'skipped' }
  | { kind: 'failed' };

export async function guardedRestart(
  target: { name: string; key: string },
  cause: string,
  deps: GuardedRestartDeps,
  opts: { stop?: boolean } = {},
): Promise<GuardedRestartResult> {
  await deps.liveness?.pause();
  try {
    const desired = deps.desired();
    const renderer = await deps.renderer?.();
    const result = await converge(
      desired,
      {
        command: opts.stop ? 'down' : 'restart',
        targets: [target.name],
        restartCause: cause,
        ...(opts.stop ? {} : { countRestarts: [target.name] }),
        guard: async (observed) => {
          const o = observed.services[target.name];
          // (A `down` writes the stop marker for what it stops: the liveness loop leaves it down.)
          return (
            (deps.holdsDuties?.() ?? true) &&
            o?.status === 'running' &&
            processKey(o.record) === target.key &&
            !wasStopped(desired.stateDir, target.name)
          );
        },
      },
      { system: deps.system, env: deps.env },
      renderer,
    );
    await renderer?.end();
    if (!result.ok) {
      deps.say(
        `${target.name}: the ${opts.stop ? 'stop' : 'restart'} failed: ${'message' in result.error ? result.error.message : result.error.reason}`,
      );
      return { kind: 'failed' };
    }
    if (opts.stop)
      return result.value.plan.actions.length > 0 ? { kind: 'restarted', pid: 0 } : { kind: 'skipped' };
    const started = result.value.started.find((r) => r.name === target.name);
    return started === undefined ? { kind: 'skipped' } : { kind: 'restarted', pid: started.pid };
  } finally {
    deps.liveness?.resume();
  }
}
