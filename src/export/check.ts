/**
 * `--check`: is a previous export still what an export would write now? A file is stale
 * when it is missing, differs, or (in an output folder) was written by an earlier export
 * of this project but would not be written any more (a service left the manifest).
 * Only files that carry the generated-file marker count as ours: a user's own unit in the
 * same folder is never reported, and never removed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExportFile, MARKER } from './common.js';

export interface Stale {
  name: string;
  why: 'missing' | 'differs' | 'obsolete';
}

/** `read(name)` returns the file's text, or undefined when it does not exist. */
export function staleFiles(
  files: ExportFile[],
  read: (name: string) => string | undefined,
  previous: string[] = [],
): Stale[] {
  const out: Stale[] = [];
  for (const f of files) {
    const current = read(f.name);
    if (current === undefined) out.push({ name: f.name, why: 'missing' });
    else if (current !== f.content) out.push({ name: f.name, why: 'differs' });
  }
  const wanted = new Set(files.map((f) => f.name));
  for (const name of previous) if (!wanted.has(name)) out.push({ name, why: 'obsolete' });
  return out;
}

/** Reads a file as text; undefined when it is missing or unreadable. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Units in `dir` that an earlier `export systemd` of `project` wrote (marker and name both match). */
export function previousUnits(dir: string, project: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter(
      (n) =>
        (n.startsWith(`${project}-`) || n.startsWith(`${project}.`)) &&
        (n.endsWith('.service') || n.endsWith('.target')),
    )
    .filter((n) => readText(join(dir, n))?.startsWith(`# ${MARKER} systemd `) === true)
    .sort();
}
