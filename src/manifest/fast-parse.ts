/**
 * The fast path for a manifest that is probably valid: js-yaml (≈5× faster than `yaml`'s
 * Document API: 500 services ≈40 ms against ≈190–250 ms cold), which keeps no positions. The loader runs the whole pipeline on this data first; if anything at all is
 * wrong, it starts over with `parse.ts`, so every diagnostic still points into the file.
 *
 * Only plain documents take this path: any anchor or alias (`&x`, `*x`) sends the text to
 * `yaml`, whose alias limit refuses billion-laughs documents (js-yaml would hand back a
 * shared-reference graph that explodes later). The check is deliberately coarse (`a && b`
 * in a command also matches); a false match only costs speed.
 *
 * js-yaml is imported lazily, only on a cache miss.
 */

interface JsYaml {
  load(text: string, opts: { schema: unknown; json: boolean; filename?: string }): unknown;
  CORE_SCHEMA: unknown;
}

const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s]/m;

let jsYaml: JsYaml | null | undefined;

/**
 * A specifier the bundler can see, so js-yaml is bundled into a lazy chunk and loaded like
 * the rest of the CLI: imported from node_modules by a computed name, it started Node's ES
 * module loader (≈10 ms) on every cache miss.
 */
async function loadJsYaml(): Promise<JsYaml | null> {
  if (jsYaml === undefined) {
    try {
      jsYaml = (await import('js-yaml')) as unknown as JsYaml;
    } catch {
      jsYaml = null;
    }
  }
  return jsYaml;
}

/**
 * Plain data, or undefined when this text must take the precise path (anchors, a parse
 * error, an empty or non-map document, js-yaml missing).
 */
export async function fastParse(text: string, subtree?: string): Promise<unknown> {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  const y = await loadJsYaml();
  if (!y) return undefined;
  try {
    // CORE_SCHEMA: the same YAML 1.2 core types `yaml` resolves (no timestamps, no `<<`).
    const doc = y.load(text, { schema: y.CORE_SCHEMA, json: false });
    const data = subtree !== undefined && isMap(doc) ? doc[subtree] : doc;
    return isMap(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

function isMap(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
