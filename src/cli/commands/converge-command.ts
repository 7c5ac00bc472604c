/**
 * Shared by up, down and restart: the project's converge (engine/converge-project.ts) with
 * the CLI's renderer, then a summary. The commands differ only in the request they make and
 * what they print at the end.
 */
import type { Context } from '../../core/context.js';
import type { Desired, Result } from '../../core/model.js';
import { ok } from '../../core/model.js';
import { formatPlan } from '../../core/plan.js';
import type { ConvergeReport, ConvergeRequest } from '../../engine/converge.js';
import { convergeProject } from '../../engine/converge-project.js';
import { createRenderer } from '../../ui/renderer.js';
import { claimInterrupt } from '../signals.js';

export async function runConverge(
  ctx: Context,
  targets: string[],
  request: Omit<ConvergeRequest, 'targets'>,
  summarise?: (desired: Desired, report: ConvergeReport, targets: string[]) => void,
): Promise<Result<number>> {
  // Ctrl-C while `up`/`restart` start services ends them cleanly (cli/signals.ts).
  const interruptible = request.command !== 'down' && !request.dryRun;
  const renderer = await createRenderer(ctx);
  const done = await convergeProject(
    {
      input: ctx,
      // --dry-run prints the plan itself, on stdout (it is the command's answer).
      renderer: request.dryRun ? { ...renderer, plan: (p) => ctx.out(formatPlan(p)) } : renderer,
      warn: (line) => ctx.err(`${line}\n`),
      recordsOnly: async (failure, stateDir) =>
        (await import('../records-only-warning.js')).warnRecordsOnly(ctx, failure, stateDir),
    },
    targets,
    interruptible ? { ...request, interrupt: request.interrupt ?? claimInterrupt } : request,
  );
  await renderer.end();
  if (!done.ok) return done;
  if (!request.dryRun) summarise?.(done.value.desired, done.value.report, done.value.targets);
  return ok(0);
}
