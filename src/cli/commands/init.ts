import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../../core/context.js';
import { fail, ok, type Result } from '../../core/model.js';

/**
 * `uiprocs init`: a ui-procs.yaml from what the folder already has (src/init/gather.ts), or
 * a commented example when it has nothing. What it would write is validated first, like any
 * manifest; it never replaces one (exit 2, the file untouched); `--dry-run` prints it.
 */
export default async function init(
  ctx: Context,
  _targets: string[],
  opts: { from?: string; dryRun?: boolean },
): Promise<Result<number>> {
  const target = join(ctx.cwd, 'ui-procs.yaml');
  const { existsSync } = await import('node:fs');
  const existing = ['ui-procs.yaml', 'ui-procs.yml'].find((n) => existsSync(join(ctx.cwd, n)));
  if (existing !== undefined && !opts.dryRun)
    return fail({
      reason: 'usage',
      message: `${existing} already exists; init never replaces it (uiprocs init --dry-run prints what it would write)`,
    });
  const [{ gather }, { manifestText }, { runPipeline }] = await Promise.all([
    import('../../init/gather.js'),
    import('../../init/manifest-text.js'),
    import('../../manifest/pipeline.js'),
  ]);
  const found = gather(ctx.cwd, ctx.env, opts.from);
  if (!found.ok) return found;
  for (const p of found.value.problems) ctx.err(`warning: ${p}\n`);
  const text = manifestText(found.value.drafts, found.value.sources, found.value.notes ?? []);
  const checked = await runPipeline({
    text,
    manifestPath: target,
    displayFile: 'ui-procs.yaml (as init would write it)',
    cwd: ctx.cwd,
    env: ctx.env,
  });
  if (!checked.ok) return checked;
  if (opts.dryRun) {
    ctx.out(text);
    return ok(0);
  }
  try {
    writeFileSync(target, text, { flag: 'wx' });
  } catch (error) {
    return fail({ reason: 'io', message: `cannot write ${target}: ${(error as Error).message}` });
  }
  const n = found.value.drafts.length;
  ctx.err(
    n === 0
      ? 'wrote ui-procs.yaml: nothing to run was found here, so it holds an example to edit\n'
      : `wrote ui-procs.yaml: ${n} service${n === 1 ? '' : 's'} from ${found.value.sources.join(', ')}; next: uiprocs up\n`,
  );
  return ok(0);
}
