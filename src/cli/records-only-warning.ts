import type { Failure } from '../core/model.js';
import { displayPath } from '../manifest/display.js';
import type { Context } from './context.js';

/**
 * Says that `ps` or `down` works from the run records alone, and why: the manifest's
 * problems, located. A warning, on stderr; the command goes on and exits by its own result.
 * The formatter is imported on this path only.
 */
export async function warnRecordsOnly(ctx: Context, failure: Failure, stateDir: string): Promise<void> {
  const { formatRecordsOnlyWarning } = await import('../ui/failure.js');
  ctx.err(
    formatRecordsOnlyWarning(failure, displayPath(stateDir, ctx.cwd), { color: ctx.color, cwd: ctx.cwd }),
  );
}
