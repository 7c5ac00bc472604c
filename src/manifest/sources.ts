/**
 * `uiprocs config --sources`: which file each value of the merged manifest comes from — the
 * manifest or its override (override.ts) — as `path  file:line:column`, one line per value
 * (a list is one value: it is replaced whole). Read only on that path, from a manifest that
 * already loaded, so the parses here cannot fail for a reason the load did not report.
 */
import { readFileSync } from 'node:fs';
import type { Desired, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { displayPath } from './display.js';
import { type Layer, layerOf, manifestFiles, mergeOver } from './override.js';
import { type Path, showPath } from './types.js';

function leaves(data: unknown, path: Path = []): Path[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [path];
  return Object.entries(data).flatMap(([k, v]) => leaves(v, [...path, k]));
}

export async function manifestSources(
  desired: Pick<Desired, 'manifestPath' | 'overrideFiles' | 'services'>,
  cwd: string,
): Promise<Result<string>> {
  const { parseManifestText } = await import('./parse.js');
  const files = manifestFiles({ ...desired, services: {} }).flatMap((path) => {
    try {
      return [{ path, text: readFileSync(path, 'utf8') }];
    } catch {
      return [];
    }
  });
  const layers: Layer[] = [];
  for (const f of files) {
    const parsed = parseManifestText(f.text, { displayFile: displayPath(f.path, cwd) });
    if (!parsed.ok) return fail(parsed.error);
    layers.push(parsed.value);
  }
  const merged = layers.reduce<unknown>(
    (acc, l, i) => (i === 0 ? l.data : mergeOver(acc, l.data)),
    undefined,
  );
  const rows = leaves(merged).map((path) => {
    const span = layers[layerOf(layers, path)]!.locator.at(path);
    return [showPath(path), `${span.file}:${span.line}:${span.column}`] as const;
  });
  const width = Math.max(0, ...rows.map(([p]) => p.length));
  return ok(rows.map(([p, at]) => `${p.padEnd(width)}  ${at}\n`).join(''));
}
