/**
 * `loadManifest`: discover → (cache) → parse → validate → rules → resolve.
 *
 * This module imports only node built-ins and the cache at start-up; the parsers and the
 * validator are imported on a cache miss (`await import`), which keeps read-only commands
 * on an unchanged manifest fast. JS/TS configs are never cached: what they export can
 * depend on anything.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Desired, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { readCache, writeCache } from './cache.js';
import { discoverManifest } from './discover.js';
import { displayPath } from './display.js';
import { overridePathFor } from './override.js';

export interface LoadOptions {
  /** `-f/--file`, relative to cwd. */
  file?: string | undefined;
  /** A second, third … `-f`: merged over the manifest in order, instead of its override file. */
  overrides?: readonly string[] | undefined;
  cwd: string;
  /** The environment interpolation reads (process.env at run time). */
  env: Record<string, string | undefined>;
}

interface OverrideFile {
  path: string;
  bytes: Buffer;
  displayFile: string;
}

/**
 * What is merged over the manifest (override.ts): the files `-f` named after the first, each
 * of which must exist, or else the `ui-procs.override.yaml` beside it, if there is one.
 */
function readOverrides(manifestPath: string, opts: LoadOptions): Result<OverrideFile[]> {
  const named = (opts.overrides ?? []).map((f) => resolve(opts.cwd, f));
  const beside = named.length === 0 ? overridePathFor(manifestPath) : undefined;
  const out: OverrideFile[] = [];
  for (const path of beside !== undefined ? [beside] : named) {
    const displayFile = displayPath(path, opts.cwd);
    try {
      out.push({ path, bytes: readFileSync(path), displayFile });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        if (path === beside) continue;
        return fail({
          reason: 'manifest-not-found',
          message: `no manifest at ${displayFile} (given by -f/--file)`,
        });
      }
      return fail({ reason: 'io', message: `cannot read ${displayFile}: ${(e as Error).message}` });
    }
  }
  return ok(out);
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
  const read = readOverrides(path, opts);
  if (!read.ok) return read;
  const overs = read.value;
  // What is merged over it is part of what the cache compares: created, edited or removed, a
  // miss. Each part carries its length (and an override its path), so no two sets of files
  // give the same key.
  const key =
    overs.length === 0
      ? bytes
      : Buffer.concat([
          Buffer.from(`${bytes.length}\0`),
          bytes,
          ...overs.flatMap((o) => [Buffer.from(`\0${o.path}\0${o.bytes.length}\0`), o.bytes]),
        ]);
  const cached = readCache(path, key, opts.env);
  if (cached) return ok(cached);

  const { runPipeline } = await import('./pipeline.js');
  const r = await runPipeline({
    ...base,
    text: bytes.toString('utf8'),
    ...(kind === 'package-json' ? { subtree: 'uiprocs' } : {}),
    overrides: overs.map((o) => ({ text: o.bytes.toString('utf8'), displayFile: o.displayFile })),
  });
  if (!r.ok) return r;
  if ((opts.overrides?.length ?? 0) > 0) r.value.desired.overrideFiles = overs.map((o) => o.path);
  writeCache(path, key, opts.env, r.value.inputs, r.value.desired);
  return ok(r.value.desired);
}
