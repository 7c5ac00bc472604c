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
 * The project is a readable `project:`, else the manifest folder's name, as the manifest
 * would say; the id the tag sweeps look for then comes from the records where they say
 * (core/identity.ts projectIdOf). Loaded lazily, on that path only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Desired } from '../core/model.js';
import { discoverManifest } from '../manifest/discover.js';
import { topLevelScalar } from '../manifest/top-level-scalar.js';
import type { ProjectInput } from './project.js';

/** The default `state_dir` (manifest/defaults.ts's DEFAULTS.stateDir, which sits behind heavier imports). */
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
    project: projectName(text, projectDir),
    projectDir,
    manifestPath,
    stateDir,
    services: {},
    groups: {},
    recordsOnly: true,
  };
}

/** `project:` when it reads clearly (and is a name the schema accepts), else the folder's name. */
function projectName(text: string, projectDir: string): string {
  const key = topLevelScalar(text, 'project');
  return key.kind === 'value' && PROJECT_NAME.test(key.value) ? key.value : basename(projectDir);
}
