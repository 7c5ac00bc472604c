/**
 * `loadManifest`: discover → (cache) → parse → validate → rules → resolve.
 *
 * This module imports only node built-ins and the cache at start-up; the parsers and the
 * validator are imported on a cache miss (`await import`), which keeps read-only commands
 * on an unchanged manifest fast. JS/TS configs are never cached: what they export can
 * depend on anything.
 */
import { readFileSync } from 'node:fs';
import type { Desired, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { readCache, writeCache } from './cache.js';
import { discoverManifest } from './discover.js';
import { displayPath } from './display.js';
import { overridePathFor } from './override.js';

export interface LoadOptions {
  /** `-f/--file`, relative to cwd. */
  file?: string | undefined;
  cwd: string;
  /** The environment interpolation reads (process.env at run time). */
  env: Record<string, string | undefined>;
}

/** The override beside a `ui-procs.yaml`, if there is one (override.ts); unreadable is an error. */
function readOverride(
  manifestPath: string,
  cwd: string,
): Result<{ bytes: Buffer; displayFile: string }> | undefined {
  const path = overridePathFor(manifestPath);
  if (path === undefined) return undefined;
  const displayFile = displayPath(path, cwd);
  try {
    return ok({ bytes: readFileSync(path), displayFile });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return fail({ reason: 'io', message: `cannot read ${displayFile}: ${(e as Error).message}` });
  }
}

export async function loadManifest(opts: LoadOptions): Promise<Result<Desired>> {
  const found = await discoverManifest(opts);
  if (!found.ok) return found;
  const { path, kind } = found.value;
  const displayFile = displayPath(path, opts.cwd);
  const base = { manifestPath: path, displayFile, cwd: opts.cwd, env: opts.env };

  if (kind === 'js') {
    const { runPipeline } = await import('./pipeline.js');
    const r = await runPipeline({ ...base, config: found.value.config });
    return r.ok ? ok(r.value.desired) : r;
  }

  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return fail({ reason: 'io', message: `cannot read ${displayFile}: ${(e as Error).message}` });
  }
  const over = readOverride(path, opts.cwd);
  if (over !== undefined && !over.ok) return over;
  // The override is part of what the cache compares: created, edited or removed, a miss.
  // The manifest's length first, so no two (manifest, override) pairs give the same key.
  const key =
    over === undefined ? bytes : Buffer.concat([Buffer.from(`${bytes.length} `), bytes, over.value.bytes]);
  const cached = readCache(path, key, opts.env);
  if (cached) return ok(cached);

  const { runPipeline } = await import('./pipeline.js');
  const r = await runPipeline({
    ...base,
    text: bytes.toString('utf8'),
    ...(kind === 'package-json' ? { subtree: 'uiprocs' } : {}),
    ...(over !== undefined
      ? { override: { text: over.value.bytes.toString('utf8'), displayFile: over.value.displayFile } }
      : {}),
  });
  if (!r.ok) return r;
  writeCache(path, key, opts.env, r.value.inputs, r.value.desired);
  return ok(r.value.desired);
}
