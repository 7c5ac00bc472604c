/**
 * What `uiprocs init` reads, in order: a Procfile, package.json's scripts, a pm2 ecosystem
 * file, a compose file, then apps recognised by their files (detect.ts) — or only the file
 * `--from` names. The folder's own top level only; every file is read, none is run (but a
 * pm2 `.js` config in a trusted folder, pm2.ts).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fail, ok, type Result } from '../core/model.js';
import { readCompose } from './compose-file.js';
import { detectApps, type FolderFile } from './detect.js';
import type { Draft, Found } from './draft.js';
import { readPackageScripts } from './package-scripts.js';
import { readEcosystem } from './pm2.js';
import { readProcfile } from './procfile.js';

export interface Gathered extends Found {
  /** The files services came from, for the header. */
  sources: string[];
}

const ECOSYSTEM = /^ecosystem\.config\.(js|cjs|json)$/;
const COMPOSE = /^(docker-)?compose\.ya?ml$/;

function head(path: string): string {
  const buf = Buffer.alloc(64 * 1024);
  const fd = openSync(path, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function gather(
  dir: string,
  env: Record<string, string | undefined>,
  from?: string,
): Result<Gathered> {
  let names: string[];
  if (from !== undefined) {
    const path = resolve(dir, from);
    try {
      if (!statSync(path).isFile()) return fail({ reason: 'usage', message: `--from ${from}: not a file` });
    } catch {
      return fail({ reason: 'usage', message: `--from ${from}: no such file` });
    }
    if (resolve(path, '..') !== resolve(dir))
      return fail({ reason: 'usage', message: `--from ${from}: init reads files of this folder only` });
    names = [basename(path)];
  } else names = readdirSync(dir).sort();
  const files = new Set(names);
  const allFiles = from === undefined ? files : new Set(readdirSync(dir));
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const results: Array<[string, Found]> = [];
  const attempt = (name: string, reader: () => Found) => {
    try {
      results.push([name, reader()]);
    } catch (error) {
      results.push([
        name,
        { drafts: [], problems: [`${name}:1: cannot read: ${(error as Error).message}; skipped`] },
      ]);
    }
  };
  if (files.has('Procfile')) attempt('Procfile', () => readProcfile(read('Procfile')));
  if (files.has('package.json'))
    attempt('package.json', () => readPackageScripts(read('package.json'), allFiles));
  for (const n of names.filter((n) => ECOSYSTEM.test(n)))
    attempt(n, () => readEcosystem(join(dir, n), read(n), env));
  for (const n of names.filter((n) => COMPOSE.test(n))) attempt(n, () => readCompose(read(n), n));
  const scripts = results.find(([n]) => n === 'package.json')?.[1].drafts ?? [];
  const folder: FolderFile[] = names
    .filter((n) => /\.(py|ipynb)$|^(vite|next)\.config\./.test(n))
    .map((n) => ({ name: n, head: () => head(join(dir, n)) }));
  const detected = detectApps(folder, {
    vite: scripts.some((d) => /vite/.test(d.from)),
    next: scripts.some((d) => /next/.test(d.from)),
  });
  if (detected.drafts.length > 0) results.push(['detected', detected]);
  const drafts: Draft[] = results.flatMap(([, f]) => f.drafts);
  return ok({
    drafts,
    problems: results.flatMap(([, f]) => f.problems),
    notes: results.flatMap(([, f]) => f.notes ?? []),
    sources: results
      .filter(([, f]) => f.drafts.length > 0)
      .map(([n]) => (n === 'detected' ? 'the files here' : n)),
  });
}
