/**
 * `uiprocs __complete -- WORDS…`, which the completion scripts run on every TAB: the
 * candidates, one per line, on stdout. Reached from main.ts before the argument parser (the
 * words are what the user is typing, not options for uiprocs), it prints nothing at all on
 * any failure — a broken or missing manifest completes commands and options only — and
 * always exits 0: a shell would show a TAB's complaint in the middle of the command line.
 */
import { writeFd } from './stdio.js';

/** The manifest's services and groups; none when it cannot be loaded. Its cache makes this cheap. */
async function manifestNames(file: string | undefined): Promise<string[]> {
  try {
    const env = process.env;
    const { loadManifest } = await import('../manifest/load.js');
    const loaded = await loadManifest({
      file: file ?? (env.UIPROCS_FILE || undefined),
      cwd: process.cwd(),
      env,
    });
    return loaded.ok ? [...Object.keys(loaded.value.services), ...Object.keys(loaded.value.groups)] : [];
  } catch {
    return [];
  }
}

/** The projects `uiprocs ls --all` would list; none on any failure. */
async function registeredProjects(): Promise<Array<{ name: string; manifest: string }>> {
  try {
    const { readRegistry } = await import('../state/registry.js');
    return readRegistry(process.env, { prune: false }).entries.map((e) => ({
      name: e.project,
      manifest: e.manifest,
    }));
  } catch {
    return [];
  }
}

export async function completeWords(words: string[]): Promise<number> {
  try {
    const { complete } = await import('./completion.js');
    const candidates = await complete({ words, names: manifestNames, projects: registeredProjects });
    if (candidates.length > 0) writeFd(1, `${candidates.join('\n')}\n`);
  } catch {
    // nothing to offer
  }
  return 0;
}
