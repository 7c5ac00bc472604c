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
  /** `ui-procs.override.yaml` beside it, merged over it (override.ts). */
  override?: { text: string; displayFile: string };
}

export type PipelineOutput = Result<{ desired: Desired; inputs: ResolveInputs }>;

export async function runPipeline(input: PipelineInput): Promise<PipelineOutput> {
  if (input.text === undefined) {
    return check(input.config, flatLocator(input.displayFile), input);
  }
  const over = input.override;
  const fast = input.precise ? undefined : await fastParse(input.text, input.subtree);
  const fastOver = fast === undefined || over === undefined ? undefined : await fastParse(over.text);
  if (fast !== undefined && (over === undefined || fastOver !== undefined)) {
    const data = over === undefined ? fast : mergeOver(fast, fastOver);
    const result = check(data, flatLocator(input.displayFile), input);
    if (result.ok) return result;
  }
  // Slow, precise path: positions for every diagnostic, each in the file it is about.
  const { parseManifestText } = await import('./parse.js');
  const parsed = parseManifestText(input.text, {
    displayFile: input.displayFile,
    ...(input.subtree !== undefined ? { subtree: input.subtree } : {}),
  });
  if (!parsed.ok) return parsed;
  if (over === undefined) return check(parsed.value.data, parsed.value.locator, input);
  const overParsed = parseManifestText(over.text, { displayFile: over.displayFile });
  if (!overParsed.ok) return overParsed;
  const layers = [parsed.value, overParsed.value];
  return check(mergeOver(parsed.value.data, overParsed.value.data), layeredLocator(layers), input);
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
