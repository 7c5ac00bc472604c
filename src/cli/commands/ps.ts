import { existsSync } from 'node:fs';
import { loadProject } from '../../app/project.js';
import { statusRows } from '../../app/status.js';
import { ok, type Result } from '../../core/model.js';
import { getSystem } from '../../runtime/system.js';
import { observe } from '../../state/observe.js';
import { checkPrivateDir } from '../../state/paths.js';
import { formatPsTable } from '../../ui/ps-table.js';
import type { Context } from '../context.js';

/**
 * `uiprocs ps`: read-only; takes no lock, so it answers at once even while an `up`
 * runs. `--check` makes it a health check for scripts: exit 1 unless every target runs
 * and answers on its port.
 */
export default async function ps(
  ctx: Context,
  targets: string[],
  opts: { json?: boolean; check?: boolean },
): Promise<Result<number>> {
  const project = await loadProject(ctx, targets);
  if (!project.ok) return project;
  const { desired } = project.value;
  const system = getSystem(ctx.env);
  // ps changes nothing, so a state dir others could write to is still shown — with a
  // warning, and without the repairs (removals) observe would otherwise make in it.
  const exists = existsSync(desired.stateDir);
  const trusted = exists ? checkPrivateDir(desired.stateDir) : undefined;
  if (trusted !== undefined && !trusted.ok && 'message' in trusted.error)
    ctx.err(`warning: ${trusted.error.message}\n`);
  const observed = exists
    ? observe(desired.stateDir, system, { repair: trusted?.ok === true })
    : { services: {}, warnings: [] };
  const rows = await statusRows(desired, observed, system, project.value.targets);
  if (opts.json) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
  else ctx.out(formatPsTable(rows, ctx.colorOut));
  for (const w of observed.warnings) ctx.err(`warning: ${w}\n`);
  if (opts.check) {
    const checked = rows.filter(
      (r) => desired.services[r.name] !== undefined && !desired.services[r.name]!.disabled,
    );
    const down = checked.filter((r) => r.status !== 'running');
    if (down.length > 0) {
      ctx.err(`not running: ${down.map((r) => `${r.name} (${r.status})`).join(', ')}\n`);
      return ok(1);
    }
  }
  return ok(0);
}
