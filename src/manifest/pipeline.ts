/**
 * The manifest pipeline after discovery: parse → schema → rules → resolve. It holds the
 * heavy imports (the generated validator; `yaml` and js-yaml lazily), so `load.ts` can
 * answer from its cache without loading any of it.
 */
import type { Desired, Result } from '../core/model.js';
import { fail } from '../core/model.js';
import { fastParse } from './fast-parse.js';
import { flatLocator, type Locator } from './locate.js';
import { layeredLocator, mergeOver } from './override.js';
import { type ResolveInputs, resolveManifest } from './resolve.js';
import { checkRules } from './rules.js';
import type { RawManifest } from './types.js';
import { validateSchema } from './validate.js';

export interface PipelineInput {
  /** Manifest text (YAML, JSON or package.json); absent for JS configs. */
  text?: string;
  /** For JS configs: the exported value. */
  config?: unknown;
  /** Take this field of the document (`uiprocs` of package.json). */
  subtree?: string;
  manifestPath: string;
  displayFile: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Skip the js-yaml fast path (tests compare both paths). */
  precise?: boolean;
  /** Files merged over it in order (override.ts): its `ui-procs.override.yaml`, or `-f`'s. */
  overrides?: ReadonlyArray<{ text: string; displayFile: string }>;
}

export type PipelineOutput = Result<{ desired: Desired; inputs: ResolveInputs }>;

export async function runPipeline(input: PipelineInput): Promise<PipelineOutput> {
  if (input.text === undefined) {
    return check(input.config, flatLocator(input.displayFile), input);
  }
  const overs = input.overrides ?? [];
  const fast = input.precise ? undefined : await fastParse(input.text, input.subtree);
  if (fast !== undefined) {
    const fastOvers = await Promise.all(overs.map((o) => fastParse(o.text)));
    if (fastOvers.every((d) => d !== undefined)) {
      const result = check(fastOvers.reduce(mergeOver, fast), flatLocator(input.displayFile), input);
      if (result.ok) return result;
    }
  }
  // Slow, precise path: positions for every diagnostic, each in the file it is about.
  const { parseManifestText } = await import('./parse.js');
  const parsed = parseManifestText(input.text, {
    displayFile: input.displayFile,
    ...(input.subtree !== undefined ? { subtree: input.subtree } : {}),
  });
  if (!parsed.ok) return parsed;
  if (overs.length === 0) return check(parsed.value.data, parsed.value.locator, input);
  const layers = [parsed.value];
  for (const o of overs) {
    const p = parseManifestText(o.text, { displayFile: o.displayFile });
    if (!p.ok) return p;
    layers.push(p.value);
  }
  const merged = layers.slice(1).reduce((acc, l) => mergeOver(acc, l.data), parsed.value.data);
  return check(merged, layeredLocator(layers), input);
}

function check(data: unknown, locator: Locator, input: PipelineInput): PipelineOutput {
  const schema = validateSchema(data, locator);
  if (schema.length > 0) return fail({ reason: 'manifest-invalid', diagnostics: schema });
  const manifest = data as RawManifest;
  const rules = checkRules(manifest, locator);
  if (rules.length > 0) return fail({ reason: 'manifest-invalid', diagnostics: rules });
  return resolveManifest(manifest, locator, {
    manifestPath: input.manifestPath,
    env: input.env,
    cwd: input.cwd,
  });
}
