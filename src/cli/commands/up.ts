import type { Context } from '../../core/context.js';
import type { Result } from '../../core/model.js';
import { nothingToDo } from '../../ui/converge-text.js';
import { urlLines } from '../../ui/url-list.js';
import { runConverge } from './converge-command.js';

export interface UpOptions {
  dryRun?: boolean;
  removeOrphans?: boolean;
  watch?: boolean;
  downOnExit?: boolean;
  /** `--no-supervise`. */
  supervise?: boolean;
}

/**
 * `uiprocs up`: converge, then list the URLs of what now runs on stdout (ui/url-list.ts), so
 * the next step is a click and `uiprocs up | grep http` finds them.
 */
export default async function up(ctx: Context, targets: string[], opts: UpOptions): Promise<Result<number>> {
  if (opts.watch) {
    const watch = await import('./watch.js');
    return watch.default(ctx, targets, { downOnExit: opts.downOnExit, removeOrphans: opts.removeOrphans });
  }
  return runConverge(
    ctx,
    targets,
    {
      command: 'up',
      dryRun: opts.dryRun,
      removeOrphans: opts.removeOrphans,
      noSupervise: opts.supervise === false,
    },
    (desired, report, names) => {
      // "up to date" is a note on the converge (stderr); what runs and where is the result.
      if (report.plan.actions.length === 0) ctx.err(`${nothingToDo('up')}\n`);
      ctx.out(urlLines(desired, report, names, opts.supervise !== false));
    },
  );
}
