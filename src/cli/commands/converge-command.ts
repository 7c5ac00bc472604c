/**
 * Shared by up, down and restart: load, converge with a renderer, then summarise.
 * The commands differ only in the request they make and what they print at the end.
 */
import { existsSync } from 'node:fs';
import type { Context } from '../../core/context.js';
import type { Desired, Result } from '../../core/model.js';
import { ok } from '../../core/model.js';
import { formatPlan } from '../../core/plan.js';
import { mayNeedSupervision } from '../../core/supervision.js';
import {
  type ConvergeDuties,
  type ConvergeReport,
  type ConvergeRequest,
  converge,
} from '../../engine/converge.js';
import { type LoadedProject, loadProject, loadProjectOrRecords } from '../../engine/project.js';
import { getSystem, type System } from '../../runtime/system.js';
import { checkServiceName, statePaths } from '../../state/paths.js';
import { createRenderer } from '../../ui/renderer.js';
import { claimInterrupt } from '../signals.js';

/**
 * `down old` may name a service that left the manifest but still has a run record: such a
 * name is accepted as an orphan target; any other unknown name is still an error.
 */
function orphanTargets(targets: string[]): (desired: Desired) => string[] {
  return (desired) =>
    targets.filter(
      (t) =>
        desired.services[t] === undefined &&
        desired.groups[t] === undefined &&
        checkServiceName(t).ok &&
        existsSync(statePaths(desired.stateDir).recordFile(t)),
    );
}

/**
 * The supervisor's part of the converge (engine/ensure-supervisor.ts), loaded only when it can
 * matter: a `down` of everything when a supervisor record exists, an `up`/`restart` of a
 * manifest where some service has a restart policy.
 */
function dutiesFor(
  ctx: Context,
  request: Omit<ConvergeRequest, 'targets'>,
  targets: string[],
  system: System,
): ConvergeDuties | undefined {
  if (request.command === 'down') {
    if (targets.length > 0) return undefined;
    return {
      before: async (desired) => {
        if (!existsSync(`${statePaths(desired.stateDir).run}/.supervisor.json`)) return;
        const { stopSupervisor } = await import('../../engine/ensure-supervisor.js');
        await stopSupervisor(desired.stateDir, { system });
      },
    };
  }
  return {
    after: async (desired, outcome) => {
      if (!mayNeedSupervision(desired)) return;
      const { afterConverge } = await import('../../engine/ensure-supervisor.js');
      await afterConverge({
        system,
        env: ctx.env,
        optOut: request.noSupervise,
        warn: (line) => ctx.err(`${line}\n`),
      })(desired, outcome);
    },
  };
}

export async function runConverge(
  ctx: Context,
  targets: string[],
  request: Omit<ConvergeRequest, 'targets'>,
  summarise?: (desired: Desired, report: ConvergeReport, targets: string[]) => void,
): Promise<Result<number>> {
  // Ctrl-C while `up`/`restart` start services ends them cleanly (cli/signals.ts).
  const interruptible = request.command !== 'down' && !request.dryRun;
  const done = await convergeTargets(
    ctx,
    targets,
    interruptible ? { ...request, interrupt: request.interrupt ?? claimInterrupt } : request,
  );
  if (!done.ok) return done;
  if (!request.dryRun) summarise?.(done.value.desired, done.value.report, done.value.targets);
  return ok(0);
}

/**
 * The converge of `up`/`down`/`restart TARGET…` with its supervisor duties, its progress on
 * `ctx.err` and its report as a value: the CLI commands summarise it, the dashboard's
 * actions (dashboard/actions.ts) answer with it, so a click and a command cannot differ.
 */
export async function convergeTargets(
  ctx: Context,
  targets: string[],
  request: Omit<ConvergeRequest, 'targets'>,
): Promise<Result<{ desired: Desired; report: ConvergeReport; targets: string[] }>> {
  const system = getSystem(ctx.env);
  // `down` of everything also works when the manifest cannot be used: from the run records.
  const project: Result<LoadedProject> =
    request.command === 'down' && targets.length === 0
      ? await loadProjectOrRecords(ctx, targets)
      : await loadProject(ctx, targets, request.command === 'down' ? orphanTargets(targets) : undefined);
  if (!project.ok) return project;
  const { desired } = project.value;
  if (project.value.unusable !== undefined)
    (await import('../records-only-warning.js')).warnRecordsOnly(
      ctx,
      project.value.unusable,
      desired.stateDir,
    );
  const renderer = await createRenderer(ctx);
  const duties = request.dryRun ? undefined : dutiesFor(ctx, request, project.value.targets, system);
  const result = await converge(
    desired,
    { ...request, targets: project.value.targets, duties: request.duties ?? duties },
    { system, env: ctx.env },
    {
      onPlan: (p, observed) =>
        request.dryRun ? ctx.out(formatPlan(p)) : renderer.plan(p, observed.warnings),
      onEvent: (e) => renderer.event(e),
      onWaitLock: (holder) => renderer.waitLock(holder),
    },
  );
  await renderer.end();
  if (!result.ok) return result;
  return ok({ desired, report: result.value, targets: project.value.targets });
}
