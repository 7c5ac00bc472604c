import type { Context } from '../../core/context.js';
import { ok, type Result } from '../../core/model.js';
import { type LoadedProject, loadProject, loadProjectOrRecords } from '../../engine/project.js';
import { gatherPsRows } from '../../engine/ps-rows.js';
import { getSystem } from '../../runtime/system.js';
import { formatPsTable } from '../../ui/ps-table.js';

/**
 * `uiprocs ps`: read-only; waits for no lock, so it answers at once even while an `up`
 * runs (its writes: a death nobody recorded yet, which tries the lock once, and its CPU
 * sample, `.cpu-samples.json`, which needs none: engine/usage.ts). `--check`
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
  const { rows, supervisionLine, untrustedWarning, warnings } = await gatherPsRows(
    desired,
    project.value.targets,
    getSystem(ctx.env),
    ctx.env,
  );
  if (untrustedWarning !== undefined) ctx.err(`warning: ${untrustedWarning}\n`);
  if (opts.json) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
  else ctx.out(`${formatPsTable(rows, ctx.colorOut)}${supervisionLine ? `${supervisionLine}\n` : ''}`);
  for (const w of warnings) ctx.err(`warning: ${w}\n`);
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
