/**
 * What `ps` and `down` (without targets) work on when the manifest cannot be used: a
 * `Desired` made from where the run records are, knowing no services (`recordsOnly`). A
 * syntax error in the manifest must not lock the user out of stopping what runs.
 *
 * Where the records are:
 * - the manifest is found as usual (a manifest not found at all stays an error: there is
 *   no "beside it" to look in); JS/TS configs are left out, their `state_dir` can be
 *   computed;
 * - the state dir is `state_dir` read tolerantly from the text (manifest/top-level-scalar.ts),
 *   else `.uiprocs` beside the manifest, exactly as a valid manifest would resolve it; when
 *   `state_dir` is there but cannot be read with certainty, there is no fallback, because a
 *   wrong dir would show and stop another dir's services;
 * - the state dir must exist: with no state there is nothing to fall back to, and the
 *   manifest's errors are all there is to say.
 *
 * The project id (the tag `down` sweeps for) is taken from the records, which carry the
 * one their processes were started with; without records, from a readable `project:`, else
 * the manifest folder's name, as the manifest would say. Loaded lazily, on that path only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { projectId } from '../core/identity.js';
import type { Desired } from '../core/model.js';
import { discoverManifest } from '../manifest/discover.js';
import { topLevelScalar } from '../manifest/top-level-scalar.js';
import { readRecords } from '../state/store.js';
import type { ProjectInput } from './project.js';

/** The default `state_dir` (resolve.ts's DEFAULTS.stateDir, which sits behind heavier imports). */
const DEFAULT_STATE_DIR = '.uiprocs';
/** What the schema accepts as a project name. */
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export async function recordsOnlyProject(input: ProjectInput): Promise<Desired | undefined> {
  const found = await discoverManifest(input);
  if (!found.ok || found.value.kind === 'js') return undefined;
  const manifestPath = found.value.path;
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch {
    return undefined;
  }
  const projectDir = dirname(manifestPath);
  const dir = topLevelScalar(text, 'state_dir');
  if (dir.kind === 'unclear') return undefined;
  const stateDir = resolve(projectDir, dir.kind === 'value' ? dir.value : DEFAULT_STATE_DIR);
  if (!existsSync(stateDir)) return undefined;
  return {
    project: projectName(stateDir, text, projectDir),
    projectDir,
    manifestPath,
    stateDir,
    services: {},
    groups: {},
    recordsOnly: true,
  };
}

/** The name whose project id (name + state dir) the running processes carry; see the module comment. */
function projectName(stateDir: string, text: string, projectDir: string): string {
  const ids = new Set(readRecords(stateDir, { repair: false }).records.map((r) => r.project));
  if (ids.size === 1) {
    const id = [...ids][0]!;
    // `<name>-<8 hex of the state dir's hash>`: only an id made for this very dir is taken.
    const name = id.slice(0, -9);
    if (projectId(name, stateDir) === id) return name;
  }
  const key = topLevelScalar(text, 'project');
  return key.kind === 'value' && PROJECT_NAME.test(key.value) ? key.value : basename(projectDir);
}
