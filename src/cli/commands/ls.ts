import type { Context } from '../../core/context.js';
import { ok, type Result } from '../../core/model.js';
import { listProjects } from '../../engine/project-list.js';
import { getSystem } from '../../runtime/system.js';
import { formatProjectTable } from '../../ui/project-table.js';

/**
 * `uiprocs ls`: this user's projects, from any folder (the registry, state/registry.ts, says
 * where; each state dir's records say what runs). Without `--all`, only those with a
 * service running, as `docker compose ls`. Read-only: it prunes entries whose folder or
 * state is gone, nothing else.
 */
export default async function ls(
  ctx: Context,
  _targets: string[],
  opts: { json?: boolean; all?: boolean },
): Promise<Result<number>> {
  const { rows, warnings } = listProjects(ctx.env, getSystem(ctx.env), { all: opts.all === true });
  for (const w of warnings) ctx.err(`warning: ${w}\n`);
  if (opts.json) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length > 0) ctx.out(formatProjectTable(rows, ctx.colorOut, ctx.env));
  else
    ctx.err(
      opts.all
        ? 'no project: `uiprocs up` in a project registers it\n'
        : 'no project is running (`uiprocs ls --all` lists the stopped ones too)\n',
    );
  return ok(0);
}
