/**
 * A cache of resolved manifests, so read-only commands (ps, logs, a no-op up) skip
 * parsing and validation of an unchanged manifest: the cold path costs ≈100+ ms for a
 * large file, a hit a few ms and no `yaml`/js-yaml/validator import at all.
 *
 * Location: `${XDG_CACHE_HOME:-$HOME/.cache}/uiprocs/<hash of the manifest path>.json`.
 * An entry is believed only when its inputs equal, byte for byte, what they are now: the
 * manifest text, the uiprocs version, the name and value (or absence) of every environment
 * variable the resolution looked up, and the text (or absence) of every env file it read.
 * Comparing the inputs themselves rather than a digest of them is exact and keeps
 * `node:crypto` (≈6 ms to load) off the path of every `ps`; an entry is a few times the
 * manifest's size. Only valid manifests are stored. Writes are atomic (temp file +
 * rename); an unreadable or corrupt entry is a miss. `UIPROCS_NO_CACHE=1` turns it off.
 * Every failure here is a miss: the cache may make uiprocs faster, never wrong or broken.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Desired } from '../core/model.js';
import { version } from '../core/version.js';

/** Bumped when `Desired` or the entry changes shape, so older entries are misses. */
const FORMAT = 4;

interface Entry {
  format: number;
  /** Everything the resolution depended on, as one string (see `inputsOf`). */
  inputs: string;
  envNames: string[];
  files: string[];
  desired: Desired;
}

export type Env = Record<string, string | undefined>;

export function cacheEnabled(env: Env): boolean {
  return env.UIPROCS_NO_CACHE !== '1' && env.UIPROCS_NO_CACHE !== 'true';
}

export function cacheDir(env: Env): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : '');
  return base ? join(base, 'uiprocs') : null;
}

/**
 * The entry's file name: 53 bits of cyrb53 over the path. Only a name, never trusted: two
 * paths that collide share a slot and evict each other, and the entry records its own
 * manifest path, which must match exactly.
 */
export function pathHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

export function cacheFile(env: Env, manifestPath: string): string | null {
  const dir = cacheDir(env);
  return dir ? join(dir, `${pathHash(manifestPath)}.json`) : null;
}

function fileText(path: string): string {
  try {
    const text = readFileSync(path, 'latin1');
    return `${text.length} ${text}`;
  } catch {
    return 'absent';
  }
}

/**
 * The resolution's inputs as one string. Texts are length-prefixed, so a NUL inside one
 * cannot pass for a separator; env names and values and paths cannot hold a NUL at all.
 * latin1 maps bytes to characters one to one, so the comparison is of bytes.
 */
function inputsOf(manifestBytes: Buffer, env: Env, envNames: string[], files: string[]): string {
  const manifest = manifestBytes.toString('latin1');
  const parts = [`uiprocs ${version()} cache ${FORMAT}`, `${manifest.length} ${manifest}`];
  for (const n of envNames) parts.push(`env ${n}${env[n] === undefined ? ' unset' : `=${env[n]}`}`);
  for (const f of files) parts.push(`file ${f} ${fileText(f)}`);
  return parts.join('\0');
}

/** The cached Desired when the entry's inputs are still today's, else undefined. */
export function readCache(manifestPath: string, manifestBytes: Buffer, env: Env): Desired | undefined {
  if (!cacheEnabled(env)) return undefined;
  const file = cacheFile(env, manifestPath);
  if (!file) return undefined;
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<Entry>;
    if (
      entry.format !== FORMAT ||
      typeof entry.inputs !== 'string' ||
      !Array.isArray(entry.envNames) ||
      !Array.isArray(entry.files) ||
      typeof entry.desired !== 'object' ||
      entry.desired === null ||
      entry.desired.manifestPath !== manifestPath
    ) {
      return undefined;
    }
    return inputsOf(manifestBytes, env, entry.envNames, entry.files) === entry.inputs
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
    inputs: inputsOf(manifestBytes, env, inputs.envNames, inputs.files),
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
