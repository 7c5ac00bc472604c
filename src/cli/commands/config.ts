import type { Result } from '../../core/model.js';
import { loadManifest } from '../../manifest/load.js';
import { toPlain } from '../../manifest/print.js';
import type { Context } from '../context.js';

/** `uiprocs config`: the resolved manifest on stdout, YAML for people, sorted JSON for diffs. */
export default async function config(
  ctx: Context,
  _targets: string[],
  opts: { json?: boolean },
): Promise<Result<number>> {
  const loaded = await loadManifest({ file: ctx.file, cwd: ctx.cwd, env: ctx.env });
  if (!loaded.ok) return loaded;
  const plain = toPlain(loaded.value);
  if (opts.json) {
    ctx.out(`${JSON.stringify(plain, null, 2)}\n`);
  } else {
    const { stringify } = await import('yaml');
    ctx.out(stringify(plain));
  }
  return { ok: true, value: 0 };
}
