/**
 * A converge of the project a command or a click names: `up`/`down`/`restart TARGET…` as
 * the CLI (cli/commands/converge-command.ts) and the dashboard (dashboard/actions.ts) both
 * run it, so a click and a command cannot differ. It loads the project (a `down` of
 * everything also from the run records alone, a `down` of an orphan by its record), picks
 * the supervisor's part of the converge, and runs the one converge (converge.ts) with the
 * caller's renderer.
 */
import { existsSync } from 'node:fs';
import type { Desired, Failure, Result } from '../core/model.js';
import { ok } from '../core/model.js';
import type { Renderer } from '../core/renderer.js';
import { mayNeedSupervision } from '../core/supervision.js';
import { getSystem, type System } from '../runtime/system.js';
import { checkServiceName, statePaths } from '../state/paths.js';
import { type ConvergeDuties, type ConvergeReport, type ConvergeRequest, converge } from './converge.js';
import { type LoadedProject, loadProject, loadProjectOrRecords, type ProjectInput } from './project.js';

export interface ProjectConvergeIO {
  input: ProjectInput;
  /** Shows the converge; its `end` is the caller's to call. */
  renderer: Pick<Renderer, 'plan' | 'event' | 'waitLock'>;
  /** A warning line (the supervisor could not be started …). */
  warn: (line: string) => void;
  /** The manifest is unusable and a `down` goes on from the run records: say so, and why. */
  recordsOnly?: (failure: Failure, stateDir: string) => void | Promise<void>;
}

export interface ProjectConverged {
  desired: Desired;
  report: ConvergeReport;
  /** The targets as resolved (groups expanded). */
  targets: string[];
}

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
 * The supervisor's part of the converge (ensure-supervisor.ts), loaded only when it can
 * matter: a `down` of everything when a supervisor record exists, an `up`/`restart` of a
 * manifest where some service has a restart policy.
 */
function dutiesFor(
  io: ProjectConvergeIO,
  request: Omit<ConvergeRequest, 'targets'>,
  targets: string[],
  system: System,
): ConvergeDuties | undefined {
  if (request.command === 'down') {
    if (targets.length > 0) return undefined;
    return {
      before: async (desired) => {
        if (!existsSync(`${statePaths(desired.stateDir).run}/.supervisor.json`)) return;
        const { stopSupervisor } = await import('./ensure-supervisor.js');
        await stopSupervisor(desired.stateDir, { system });
      },
    };
  }
  return {
    after: async (desired, outcome) => {
      if (!mayNeedSupervision(desired)) return;
      const { afterConverge } = await import('./ensure-supervisor.js');
      await afterConverge({
        system,
        env: io.input.env,
        optOut: request.noSupervise,
        warn: io.warn,
      })(desired, outcome);
    },
  };
}

export async function convergeProject(
  io: ProjectConvergeIO,
  targets: string[],
  request: Omit<ConvergeRequest, 'targets'>,
): Promise<Result<ProjectConverged>> {
  const system = getSystem(io.input.env);
  // `down` of everything also works when the manifest cannot be used: from the run records.
  const project: Result<LoadedProject> =
    request.command === 'down' && targets.length === 0
      ? await loadProjectOrRecords(io.input, targets)
      : await loadProject(io.input, targets, request.command === 'down' ? orphanTargets(targets) : undefined);
  if (!project.ok) return project;
  const { desired } = project.value;
  if (project.value.unusable !== undefined) await io.recordsOnly?.(project.value.unusable, desired.stateDir);
  const duties = request.dryRun ? undefined : dutiesFor(io, request, project.value.targets, system);
  const result = await converge(
    desired,
    { ...request, targets: project.value.targets, duties: request.duties ?? duties },
    { system, env: io.input.env },
    io.renderer,
  );
  if (!result.ok) return result;
  return ok({ desired, report: result.value, targets: project.value.targets });
}
