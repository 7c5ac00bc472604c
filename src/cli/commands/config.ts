import type { Context } from '../../core/context.js';
import type { Enforcement, LimitName, Result } from '../../core/model.js';
import { loadManifest } from '../../manifest/load.js';
import { type EnforcementOf, toPlain } from '../../manifest/print.js';

/** Plain strings that YAML 1.1 reads as a boolean, null or base-60 number. */
const YAML11_AMBIGUOUS =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?)$/;

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
    const { Document, visit } = await import('yaml');
    const doc = new Document(plain);
    // YAML 1.2 (what uiprocs reads) takes `no` and `12:30` as strings and prints them bare;
    // a YAML 1.1 reader (PyYAML, older yq) would see false and 750. Quote them for both.
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && YAML11_AMBIGUOUS.test(node.value)) node.type = 'QUOTE_DOUBLE';
      },
    });
    ctx.out(doc.toString());
  }
  return { ok: true, value: 0 };
}
