import type { Context } from '../cli/context.js';
import { plainRenderer, type Renderer } from './progress.js';

/**
 * Live progress (listr2) for a person at a terminal, plain lines otherwise (CI, pipes).
 * listr2 is imported only on the interactive path.
 */
export async function createRenderer(ctx: Context): Promise<Renderer> {
  if (ctx.interactive && ctx.env.UIPROCS_PLAIN === undefined) {
    const { listrRenderer } = await import('./listr-renderer.js');
    return listrRenderer(ctx);
  }
  return plainRenderer(ctx.err, ctx.color);
}
