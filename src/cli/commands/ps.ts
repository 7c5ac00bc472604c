import { existsSync } from 'node:fs';
import { type LoadedProject, loadProject, loadProjectOrRecords } from '../../app/project.js';
import { type StatusRow, statusRows } from '../../app/status.js';
import { measureUsage } from '../../app/usage.js';
import { projectIdOf } from '../../core/identity.js';
import { type Desired, type Observed, ok, type Result } from '../../core/model.js';
import { type ProcessSnapshot, taggedIn } from '../../runtime/service-processes.js';
import { getSystem } from '../../runtime/system.js';
import { usageSnapshot } from '../../runtime/usage.js';
import { hasUnrecordedExit, observe } from '../../state/observe.js';
import { checkPrivateDir } from '../../state/paths.js';
import { supervisionView } from '../../supervisor/ps-line.js';
import { formatPsTable } from '../../ui/ps-table.js';
import type { Context } from '../context.js';

/**
 * `uiprocs ps`: read-only; waits for no lock, so it answers at once even while an `up`
 * runs (its writes: a death nobody recorded yet, which tries the lock once, and its CPU
 * sample, `.cpu-samples.json`, which needs none: app/usage.ts). `--check`
 * makes it a health check for scripts: exit 1 unless every target runs and answers on
 * its port, and none is `unhealthy` by the health checks of a running watch.
 *
 * With a manifest that cannot be used, a plain `ps` still shows what the run records say
 * (with the manifest's errors as a warning, exit 0); `--check` and targets need the
 * manifest (which services should run, what a group holds) and fail with its errors.
 */
export default async function ps(
  ctx: Context,
  targets: string[],
  opts: { json?: boolean; check?: boolean },
): Promise<Result<number>> {
  const project: Result<LoadedProject> = opts.check
    ? await loadProject(ctx, targets)
    : await loadProjectOrRecords(ctx, targets);
  if (!project.ok) return project;
  const { desired } = project.value;
  if (project.value.unusable !== undefined)
    (await import('../records-only-warning.js')).warnRecordsOnly(
      ctx,
      project.value.unusable,
      desired.stateDir,
    );
  const system = getSystem(ctx.env);
  // ps changes nothing, so a state dir others could write to is still shown — with a
  // warning, and without the repairs (removals) observe would otherwise make in it.
  const exists = existsSync(desired.stateDir);
  const trusted = exists ? checkPrivateDir(desired.stateDir) : undefined;
  if (trusted !== undefined && !trusted.ok && 'message' in trusted.error)
    ctx.err(`warning: ${trusted.error.message}\n`);
  let observed = exists
    ? observe(desired.stateDir, system, { repair: trusted?.ok === true })
    : { services: {}, warnings: [] };
  // A death nobody recorded yet is recorded now, once ("code unknown", found gone now),
  // so every later ps shows the same finished_at; see state/exits.ts.
  if (trusted?.ok === true && hasUnrecordedExit(observed)) {
    const { noteExits } = await import('../../state/exits.js');
    observed = await noteExits(desired.stateDir, observed, { system, command: 'uiprocs ps' });
  }
  const running = Object.values(observed.services).flatMap((o) => (o.status === 'running' ? [o.record] : []));
  const projectId = projectIdOf(desired, observed);
  // One sweep of the process table and the tags serves both the untracked search and usage.
  let snapshot: ProcessSnapshot | undefined;
  const sweep = () => {
    snapshot ??= usageSnapshot(system, projectId, running);
    return snapshot;
  };
  const untracked = untrackedProcesses(desired, observed, sweep);
  // Usage only where something runs; the samples it keeps go to a trusted state dir only.
  const usage =
    running.length === 0
      ? undefined
      : await measureUsage(system, projectId, running, {
          snapshot: sweep(),
          ...(trusted?.ok === true ? { stateDir: desired.stateDir } : {}),
        });
  const rows = await statusRows(
    desired,
    observed,
    system,
    project.value.targets,
    Date.now(),
    untracked,
    usage,
    ctx.env,
  );
  const alive = (r: StatusRow) => r.status === 'running' || r.status === 'starting';
  const view = exists
    ? supervisionView(
        desired,
        Object.values(observed.services).flatMap((o) => (o.status === 'running' ? [o.record] : [])),
        system,
      )
    : undefined;
  for (const r of rows) r.supervised = view?.supervised(r.name, alive(r)) ?? false;
  if (opts.json) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
  else ctx.out(`${formatPsTable(rows, ctx.colorOut)}${view?.line ? `${view.line}\n` : ''}`);
  for (const w of observed.warnings) ctx.err(`warning: ${w}\n`);
  if (opts.check) {
    const checked = rows.filter(
      (r) => desired.services[r.name] !== undefined && !desired.services[r.name]!.disabled,
    );
    const down = checked.filter((r) => r.status !== 'running' && r.status !== 'completed');
    if (down.length > 0) {
      ctx.err(`not running: ${down.map((r) => `${r.name} (${r.status})`).join(', ')}\n`);
      return ok(1);
    }
    // A running service its health checks found unhealthy is not fine either.
    const sick = checked.filter((r) => r.health === 'unhealthy');
    if (sick.length > 0) {
      ctx.err(`unhealthy: ${sick.map((r) => r.name).join(', ')}\n`);
      return ok(1);
    }
  }
  return ok(0);
}

/**
 * Processes that carry the project's tag for a service no running record describes, from
 * one sweep (members of running records' groups are theirs and are not read; the same
 * sweep serves usage). Only when some service of the manifest is not running: that is
 * where `stopped` could be a lie. From the records alone, every service could be one of them.
 */
function untrackedProcesses(
  desired: Desired,
  observed: Observed,
  sweep: () => ProcessSnapshot,
): Map<string, number[]> {
  const untracked = new Map<string, number[]>();
  const isRunning = (name: string) => observed.services[name]?.status === 'running';
  if (!desired.recordsOnly && Object.keys(desired.services).every(isRunning)) return untracked;
  for (const [name, procs] of taggedIn(sweep())) {
    if (!isRunning(name))
      untracked.set(
        name,
        procs.map((p) => p.pid).sort((a, b) => a - b),
      );
  }
  return untracked;
}
