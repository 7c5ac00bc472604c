import type { Result } from '../../core/model.js';
import type { Context } from '../context.js';
import { runConverge } from './converge-command.js';

/** `uiprocs restart`: stop then start the targets (missing ones are just started). */
export default function restart(ctx: Context, targets: string[]): Promise<Result<number>> {
  return runConverge(ctx, targets, { command: 'restart' });
}
