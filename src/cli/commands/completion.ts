import type { Context } from '../../core/context.js';
import { ok, type Result } from '../../core/model.js';
import { completionScript, type Shell } from '../completion-scripts.js';

/** `uiprocs completion bash|zsh|fish`: the script to source (the shell is checked by the command table). */
export default async function completion(ctx: Context, targets: string[]): Promise<Result<number>> {
  ctx.out(completionScript(targets[0] as Shell));
  return ok(0);
}
