/**
 * `-C DIR` and `--project NAME`: act on another project without `cd`. `-C` is git's and
 * make's: the folder the manifest is found from. `--project` asks the registry
 * (state/registry.ts) for the manifest of the project `uiprocs ls` lists under that name
 * (or folder); two checkouts of one name are told apart by `-C`. Mistakes are usage
 * errors (exit 2), before anything is read or changed.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fail, ok, type Result } from '../core/model.js';
import { findProject, projectNotFound, readRegistry } from '../state/registry.js';

export interface Placement {
  cwd: string;
  file: string | undefined;
  overrides: string[];
}

export function placeProject(
  start: Placement,
  asked: { directory?: string; project?: string },
  env: Record<string, string | undefined>,
): Result<Placement> {
  let { cwd } = start;
  if (asked.directory !== undefined) {
    cwd = resolve(cwd, asked.directory);
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) return fail({ reason: 'usage', message: `-C ${asked.directory}: no such folder` });
  }
  if (asked.project === undefined) return ok({ ...start, cwd });
  const { entries } = readRegistry(env);
  const found = findProject(entries, asked.project, resolve(cwd, asked.project));
  if (found.length === 0) return projectNotFound(asked.project, entries);
  if (found.length > 1)
    return fail({
      reason: 'usage',
      message: `--project ${asked.project}: ${found.length} projects have this name (${found.map((e) => e.folder).join(', ')}); name one by its folder (--project DIR or -C DIR)`,
    });
  const entry = found[0]!;
  return ok({ cwd, file: entry.manifest, overrides: entry.overrides ?? [] });
}
