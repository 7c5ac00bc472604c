import type { Context } from '../core/context.js';
import type { Failure } from '../core/model.js';
import { displayPath } from '../manifest/display.js';
import { formatRecordsOnlyWarning } from '../ui/failure.js';

/**
 * Says that `ps` or `down` works from the run records alone, and why: the manifest's
 * problems, located. A warning, on stderr; the command goes on and exits by its own result.
 * Imported lazily, on that path only.
 */
export function warnRecordsOnly(ctx: Context, failure: Failure, stateDir: string): void {
  ctx.err(
    formatRecordsOnlyWarning(failure, displayPath(stateDir, ctx.cwd), { color: ctx.color, cwd: ctx.cwd }),
  );
}
