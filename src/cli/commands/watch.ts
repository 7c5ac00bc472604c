import { runWatch } from '../../app/watch.js';
import type { Result } from '../../core/model.js';
import { getSystem } from '../../runtime/system.js';
import { formatFailure } from '../../ui/failure.js';
import { createRenderer } from '../../ui/renderer.js';
import type { Context } from '../context.js';

/**
 * `uiprocs watch` (= `up --watch`). The first Ctrl-C or SIGTERM ends watch (the services
 * keep running unless --down-on-exit); a second one during that stop forces it.
 */
export default function watch(
  ctx: Context,
  targets: string[],
  opts: { downOnExit?: boolean; removeOrphans?: boolean },
): Promise<Result<number>> {
  const interval = Number(ctx.env.UIPROCS_WATCH_INTERVAL_MS ?? '') || undefined;
  return runWatch(
    {
      input: ctx,
      system: getSystem(ctx.env),
      renderer: () => createRenderer({ ...ctx, interactive: false }),
      say: (line) => ctx.err(`${line}\n`),
      sayFailure: async (failure) => ctx.err(formatFailure(failure, { color: ctx.color, cwd: ctx.cwd })),
      untilStopped: () => {
        const force = new AbortController();
        let signals = 0;
        const done = new Promise<void>((resolve) => {
          const onSignal = () => {
            signals += 1;
            if (signals === 1) resolve();
            else force.abort();
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        return { done, force: force.signal };
      },
    },
    { targets, downOnExit: opts.downOnExit, removeOrphans: opts.removeOrphans, intervalMs: interval },
  );
}
