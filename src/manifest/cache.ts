/**
 * A cache of resolved manifests, so read-only commands (ps, logs, a no-op up) skip
 * parsing and validation of an unchanged manifest: the cold path costs ≈100+ ms for a
 * large file, a hit a few ms and no `yaml`/js-yaml/validator import at all.
 *
 * Location: `${XDG_CACHE_HOME:-$HOME/.cache}/uiprocs/<sha256(manifest path)>.json`.
 * An entry is believed only when its key matches sha256 of: the manifest bytes, the
 * uiprocs version, the name and value (or absence) of every environment variable the
 * resolution looked up, and the bytes (or absence) of every env file it read. Only valid
 * manifests are stored. Writes are atomic (temp file + rename); an unreadable or corrupt
 * entry is a miss. `UIPROCS_NO_CACHE=1` turns it off. Every failure here is a miss: the
 * cache may make uiprocs faster, never wrong or broken.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Desired } from '../core/model.js';

/** Bumped when `Desired` gains a field, so entries written without it are misses. */
const FORMAT = 2;

interface Entry {
  format: number;
  key: string;
  envNames: string[];
  files: string[];
  desired: Desired;
}

export type Env = Record<string, string | undefined>;

let version: string | undefined;
/** The uiprocs version, read once from its package.json (same relative place in src/ and dist/). */
export function uiprocsVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: string;
      };
      version = pkg.version ?? '0';
    } catch {
      version = '0';
    }
  }
  return version;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function cacheEnabled(env: Env): boolean {
  return env.UIPROCS_NO_CACHE !== '1' && env.UIPROCS_NO_CACHE !== 'true';
}

export function cacheDir(env: Env): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : '');
  return base ? join(base, 'uiprocs') : null;
}

export function cacheFile(env: Env, manifestPath: string): string | null {
  const dir = cacheDir(env);
  return dir ? join(dir, `${sha256(manifestPath)}.json`) : null;
}

function fileDigest(path: string): string {
  try {
    return sha256(readFileSync(path));
  } catch {
    return 'absent';
  }
}

function computeKey(manifestBytes: Buffer, env: Env, envNames: string[], files: string[]): string {
  const h = createHash('sha256');
  h.update(`uiprocs ${uiprocsVersion()} cache ${FORMAT}\0`);
  h.update(sha256(manifestBytes));
  for (const n of envNames) h.update(`\0env ${n}=${env[n] === undefined ? '\u0001unset' : env[n]}`);
  for (const f of files) h.update(`\0file ${f} ${fileDigest(f)}`);
  return h.digest('hex');
}

/** The cached Desired when the entry's key still matches, else undefined. */
export function readCache(manifestPath: string, manifestBytes: Buffer, env: Env): Desired | undefined {
  if (!cacheEnabled(env)) return undefined;
  const file = cacheFile(env, manifestPath);
  if (!file) return undefined;
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<Entry>;
    if (
      entry.format !== FORMAT ||
      typeof entry.key !== 'string' ||
      !Array.isArray(entry.envNames) ||
      !Array.isArray(entry.files) ||
      typeof entry.desired !== 'object' ||
      entry.desired === null ||
      entry.desired.manifestPath !== manifestPath
    ) {
      return undefined;
    }
    return computeKey(manifestBytes, env, entry.envNames, entry.files) === entry.key
      ? entry.desired
      : undefined;
  } catch {
    return undefined;
  }
}

/** Stores a valid resolution; best effort (a read-only HOME just means no cache). */
export function writeCache(
  manifestPath: string,
  manifestBytes: Buffer,
  env: Env,
  inputs: { envNames: string[]; files: string[] },
  desired: Desired,
): void {
  if (!cacheEnabled(env)) return;
  const file = cacheFile(env, manifestPath);
  const dir = cacheDir(env);
  if (!file || !dir) return;
  const entry: Entry = {
    format: FORMAT,
    key: computeKey(manifestBytes, env, inputs.envNames, inputs.files),
    envNames: inputs.envNames,
    files: inputs.files,
    desired,
  };
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {}
  }
}
