/**
 * The project as the dashboard sees it, loaded again only when its files change.
 *
 * A page polls the rows every second; loading the manifest each time (even from the
 * cache: read, hash, parse the cached JSON) would be most of that tick's work. So the load
 * is kept under a key of the manifest's and env files' stat (inode, size, mtime), one
 * `stat` each per look; that same key changing is how the plan learns of an edit.
 *
 * An unusable manifest still gives rows from the run records (as `ps` does) and keeps its
 * failure for the plan, which shows its located errors.
 */

import { statSync } from 'node:fs';
import type { Desired, Failure, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { type LoadedProject, loadProjectOrRecords, type ProjectInput } from '../engine/project.js';
import { manifestFiles } from '../manifest/override.js';

export interface ProjectView {
  /** Changes whenever a file the manifest is made of changes. */
  key: string;
  /** The desired state for rows (from the records alone when the manifest is unusable). */
  rows: Result<Desired>;
  /** The manifest as `up` would use it, or why it cannot. */
  strict: Result<Desired, Failure>;
}

export interface ProjectSource {
  current(): Promise<ProjectView>;
  /** The manifest file (absolute), for the page's header. */
  readonly manifestPath: string;
}

function statKey(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export function projectSource(input: ProjectInput, manifestPath: string): ProjectSource {
  let cached: ProjectView | undefined;
  let files: string[] = [manifestPath];
  const keyNow = () => files.map(statKey).join('|');
  return {
    manifestPath,
    async current() {
      const key = keyNow();
      if (cached?.key === key) return cached;
      const loaded: Result<LoadedProject> = await loadProjectOrRecords(input, []);
      let view: ProjectView;
      if (!loaded.ok) view = { key, rows: loaded, strict: loaded };
      else {
        const { desired, unusable } = loaded.value;
        files = manifestFiles(desired);
        view = {
          key: unusable === undefined ? keyNow() : key,
          rows: ok(desired),
          strict: unusable === undefined ? ok(desired) : fail(unusable),
        };
      }
      cached = view;
      return view;
    },
  };
}
