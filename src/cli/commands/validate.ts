import type { Context } from '../../core/context.js';
import type { Result } from '../../core/model.js';
import { loadManifest } from '../../manifest/load.js';

/** `uiprocs validate`: load the manifest the way every command does, and say only whether it is right. */
export default async function validate(ctx: Context): Promise<Result<number>> {
  const loaded = await loadManifest(ctx);
  if (!loaded.ok) return loaded;
  const count = Object.keys(loaded.value.services).length;
  ctx.err(`${loaded.value.manifestPath}: ok (${count} service${count === 1 ? '' : 's'})\n`);
  return { ok: true, value: 0 };
}
