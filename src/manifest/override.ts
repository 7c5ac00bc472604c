/**
 * `ui-procs.override.yaml`: a developer's own changes beside the shared manifest, merged
 * over it before validation, by compose's rules for `compose.override.yaml`:
 *
 * - maps merge key by key (a service's `env` gains, keeps or replaces single variables);
 * - lists and scalars replace (`command: [...]` in the override is the whole command);
 * - `null` removes the key (`healthcheck: null` drops the base's health check). compose's
 *   `!reset` tag is not read: `null` is the one way, and it means "remove" everywhere.
 *
 * Every value keeps the file it came from: `layeredLocator` asks the layer that gave the
 * value for its position, so an error in an overridden value is located in the override
 * (`ui-procs.override.yaml:3:5: …`), and one in an untouched value in the manifest. Pure.
 */
import { dirname, join } from 'node:path';
import type { Desired } from '../core/model.js';
import type { Locator, Span } from './locate.js';
import type { Path } from './types.js';

export const OVERRIDE_NAME = 'ui-procs.override.yaml';

/** Where the override of a manifest would be: beside a `ui-procs.yaml`/`.yml`, and no other kind. */
export function overridePathFor(manifestPath: string): string | undefined {
  return /(^|\/)ui-procs\.ya?ml$/.test(manifestPath) ? join(dirname(manifestPath), OVERRIDE_NAME) : undefined;
}

const isMap = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** The override's data merged over the base's; neither is changed. */
export function mergeOver(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else out[key] = key in base ? mergeOver(base[key], value) : value;
  }
  return out;
}

export interface Layer {
  data: unknown;
  locator: Locator;
}

/** How deep `path` goes into `data`: its length when the whole path is there. */
function depthIn(data: unknown, path: Path): number {
  let node = data;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node) && typeof seg === 'string' && Object.hasOwn(node, seg)) node = node[seg];
    else if (Array.isArray(node) && typeof seg === 'number' && seg < node.length) node = node[seg];
    else return i;
  }
  return path.length;
}

/**
 * The layer whose file holds the value at `path`: the last (the override wins) among those
 * that reach deepest into it. A list is replaced whole, so its items are where the list is.
 */
export function layerOf(layers: readonly Layer[], path: Path): number {
  let best = 0;
  let bestDepth = -1;
  layers.forEach((layer, i) => {
    const depth = depthIn(layer.data, path);
    if (depth >= bestDepth && depth > 0) {
      best = i;
      bestDepth = depth;
    }
  });
  return best;
}

export function layeredLocator(layers: readonly Layer[]): Locator {
  const pick = (path: Path): Locator => layers[layerOf(layers, path)]!.locator;
  return {
    precise: layers.every((l) => l.locator.precise),
    at: (path, which): Span => pick(path).at(path, which),
    within: (path, needle, occurrence): Span => pick(path).within(path, needle, occurrence),
  };
}

/**
 * Every file a manifest's resolution was read from, for whoever reloads it when one
 * changes (watch, the dashboard): the manifest, its override's place (whether or not it
 * exists yet: creating it counts), and the services' env files.
 */
export function manifestFiles(
  desired: Pick<Desired, 'manifestPath' | 'overrideFiles' | 'services'>,
): string[] {
  const beside = overridePathFor(desired.manifestPath);
  const overrides = desired.overrideFiles ?? (beside !== undefined ? [beside] : []);
  return [
    ...new Set([
      desired.manifestPath,
      ...overrides,
      ...Object.values(desired.services).flatMap((s) => s.envFiles),
    ]),
  ];
}
