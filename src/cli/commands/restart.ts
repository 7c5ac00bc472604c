import type { Context } from '../../core/context.js';
import type { Result } from '../../core/model.js';
import { urlLines } from '../../ui/url-list.js';
import { runConverge } from './converge-command.js';

/**
 * `uiprocs restart`: stop then start the targets (missing ones are just started), then list
 * what runs and its URLs on stdout, as `up` does.
 */
export default function restart(ctx: Context, targets: string[]): Promise<Result<number>> {
  return runConverge(ctx, targets, { command: 'restart' }, (desired, report, names) =>
    ctx.out(urlLines(desired, report, names)),
  );
}
