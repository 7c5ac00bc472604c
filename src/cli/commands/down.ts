import type { Context } from '../../core/context.js';
import type { Result } from '../../core/model.js';
import { fail } from '../../core/model.js';
import { parseDuration } from '../../manifest/duration.js';
import { nothingToDo } from '../../ui/converge-text.js';
import { runConverge } from './converge-command.js';

/** `uiprocs down`: stop targets and their dependents (no targets: everything, orphans too). */
export default async function down(
  ctx: Context,
  targets: string[],
  opts: { timeout?: string },
): Promise<Result<number>> {
  let stopTimeoutMs: number | undefined;
  if (opts.timeout !== undefined) {
    const ms = parseDuration(opts.timeout);
    if (ms === undefined) {
      return fail({
        reason: 'usage',
        message: `--timeout ${opts.timeout}: expected a duration like 500ms, 10s or 2m`,
      });
    }
    stopTimeoutMs = ms;
  }
  return runConverge(ctx, targets, { command: 'down', stopTimeoutMs }, (_d, report) => {
    if (report.plan.actions.length === 0) ctx.err(`${nothingToDo('down')}\n`);
  });
}
