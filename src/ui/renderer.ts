import type { Context } from '../core/context.js';
import type { Renderer } from '../core/renderer.js';
import { plainRenderer } from './progress.js';

/**
 * Live progress (listr2) for a person at a terminal, plain lines otherwise (CI, pipes).
 * listr2 is imported only on the interactive path.
 *
 * A terminal must also report a width: a pseudo-terminal nobody sized (`script … /dev/null`
 * in a CI job, some IDE consoles) says 0 columns, and listr2 then wraps every title after
 * one character, printing the names vertically. Such a terminal gets plain lines.
 */
export async function createRenderer(ctx: Context): Promise<Renderer> {
  if (ctx.interactive && ctx.env.UIPROCS_PLAIN === undefined && hasWidth()) {
    const { listrRenderer } = await import('./listr-renderer.js');
    return listrRenderer(ctx);
  }
  return plainRenderer(ctx.err, ctx.color);
}

/** listr2 wraps at `process.stdout.columns` (undefined → 80); progress itself goes to stderr. */
function hasWidth(): boolean {
  const out = process.stdout.columns;
  return (process.stderr.columns ?? 0) > 0 && (out === undefined || out > 0);
}
