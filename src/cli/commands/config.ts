import type { Context } from '../../core/context.js';
import type { Enforcement, LimitName, Result } from '../../core/model.js';
import { loadManifest } from '../../manifest/load.js';
import { type EnforcementOf, toPlain } from '../../manifest/print.js';

/** `uiprocs config`: the resolved manifest on stdout, YAML for people, sorted JSON for diffs. */
export default async function config(
  ctx: Context,
  _targets: string[],
  opts: { json?: boolean; sources?: boolean },
): Promise<Result<number>> {
  const loaded = await loadManifest(ctx);
  if (!loaded.ok) return loaded;
  if (opts.sources) {
    const { manifestSources } = await import('../../manifest/sources.js');
    const text = await manifestSources(loaded.value, ctx.cwd);
    if (!text.ok) return text;
    ctx.out(text.value);
    return { ok: true, value: 0 };
  }
  // How each limit holds here is the machine's answer (runtime/place/), not the manifest's:
  // asked only when a service has limits.
  const withLimits = Object.values(loaded.value.services).filter((spec) => spec.limits !== undefined);
  let enforcement: EnforcementOf | undefined;
  if (withLimits.length > 0) {
    const { predictPlace } = await import('../../runtime/place/prepare.js');
    const known = new Map<string, Partial<Record<LimitName, Enforcement>>>();
    for (const spec of withLimits) {
      const placed = predictPlace(spec.limits!, ctx.env);
      if (!placed.ok) return placed;
      known.set(spec.name, placed.value.enforced);
    }
    enforcement = (spec) => known.get(spec.name) ?? {};
  }
  const plain = toPlain(loaded.value, { enforcement });
  if (opts.json) {
    ctx.out(`${JSON.stringify(plain, null, 2)}\n`);
  } else {
    // Quoted where a YAML 1.1 reader would take a string for a boolean or a number.
    const { yamlForEveryReader } = await import('../../manifest/yaml-text.js');
    ctx.out(yamlForEveryReader(plain));
  }
  return { ok: true, value: 0 };
}
