import type { Context } from '../../core/context.js';
import type { Result } from '../../core/model.js';
import { runWatch } from '../../duties/foreground-watch.js';
import { getSystem } from '../../runtime/system.js';
import { formatFailure } from '../../ui/failure.js';
import { createRenderer } from '../../ui/renderer.js';
import { urlLines } from '../../ui/url-list.js';

/**
 * `uiprocs watch` (= `up --watch`). The first Ctrl-C or SIGTERM ends watch (the services
 * keep running unless --down-on-exit); a second one during that stop forces it.
 *
 * Test/ops knobs, read here only: UIPROCS_WATCH_INTERVAL_MS (liveness interval, default
 * 1000) and UIPROCS_BACKOFF_BASE_MS (first restart delay of a crash streak, default 1000;
 * it doubles up to 30 s), so crash loops can be tested in seconds.
 */
export default function watch(
  ctx: Context,
  targets: string[],
  opts: { downOnExit?: boolean; removeOrphans?: boolean },
): Promise<Result<number>> {
  const interval = positiveMs(ctx.env.UIPROCS_WATCH_INTERVAL_MS);
  const backoffBaseMs = positiveMs(ctx.env.UIPROCS_BACKOFF_BASE_MS);
  return runWatch(
    {
      input: ctx,
      system: getSystem(ctx.env),
      renderer: () => createRenderer({ ...ctx, interactive: false }),
      say: (line) => ctx.err(`${line}\n`),
      result: (desired, report, names) => ctx.out(urlLines(desired, report, names)),
      sayFailure: async (failure) => ctx.err(formatFailure(failure, { color: ctx.color, cwd: ctx.cwd })),
      dashboard: async (duty) => (await import('../../dashboard/duty.js')).dashboardDuty(duty),
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
    {
      targets,
      downOnExit: opts.downOnExit,
      removeOrphans: opts.removeOrphans,
      intervalMs: interval,
      backoffBaseMs,
    },
  );
}

/** A positive number of milliseconds from the environment; anything else → the default. */
function positiveMs(value: string | undefined): number | undefined {
  const n = Number(value ?? '');
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
