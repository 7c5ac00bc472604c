/**
 * Watches the manifest and its env files for `uiprocs watch`.
 *
 * Why the parent directories and not the files: editors save in two ways. Truncate-and-
 * write (nano, `echo >`, many IDEs) keeps the inode; write-a-temp-then-rename (vim's
 * default, VS Code's safe write, `sed -i`) replaces it, and a watch on the old inode
 * goes silent. A directory watch sees both, so we watch each file's directory (depth 0)
 * and filter events down to the exact paths. chokidar's `atomic` handling folds the
 * "unlink then add" of a rename-save into one `change`.
 *
 * Events, as the loop wants them:
 * - the file changed, or came back after being deleted → `onChange(path)`;
 * - the file was deleted (and did not come back within chokidar's atomic window,
 *   ~100 ms) → `onRemove(path)`, so watch can say "manifest deleted; waiting for it to
 *   come back" instead of reconciling to an empty manifest.
 *
 * chokidar is imported lazily: only `uiprocs watch` pays for loading it.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FSWatcher } from 'chokidar';

export interface FileWatcher {
  /** Replace the watched set (the env files changed with the manifest). */
  update(paths: string[]): void;
  /** Stop watching; afterwards no callback fires and no handle keeps the process alive. */
  close(): Promise<void>;
}

export interface WatchFilesOptions {
  /** A watched file was deleted. Default: ignored. */
  onRemove?: (path: string) => void;
  /** The watcher itself failed (e.g. EMFILE). Default: print to stderr. */
  onError?: (error: Error) => void;
}

/**
 * Watch `paths` (made absolute against the cwd); resolves once the initial scan is done,
 * so an edit made after the promise resolves is never missed. Callbacks receive the
 * absolute path.
 */
export async function watchFiles(
  paths: string[],
  onChange: (path: string) => void,
  options: WatchFilesOptions = {},
): Promise<FileWatcher> {
  const { watch } = await import('chokidar');
  let targets = new Set(paths.map((p) => resolve(p)));
  let dirs = dirsOf(targets);
  let closed = false;

  const watcher: FSWatcher = watch([...dirs], {
    depth: 0,
    ignoreInitial: true,
    persistent: true,
    // Called for the directories themselves and every entry in them; keep only ours.
    ignored: (path: string) => !targets.has(path) && !dirs.has(path),
  });
  const trailing = new Map<string, NodeJS.Timeout>();
  /**
   * chokidar drops a `change` that comes within 50 ms of the previous one for the same
   * file (its change throttle). A save's *last* write can fall in that window (truncate,
   * then write), and if a reconcile started in between it would never see that write.
   * So after each reported change, look at the file once more when the throttle is over
   * and report again if it changed meanwhile. Extra reports are harmless: the loop
   * debounces them.
   */
  const checkAgainLater = (path: string) => {
    clearTimeout(trailing.get(path));
    const seen = signature(path);
    const timer = setTimeout(() => {
      trailing.delete(path);
      if (closed || !targets.has(path)) return;
      const now = signature(path);
      if (now !== seen && now !== undefined) changed(path);
    }, TRAILING_CHECK_MS);
    timer.unref();
    trailing.set(path, timer);
  };
  const changed = (path: string) => {
    if (closed || !targets.has(path)) return;
    onChange(path);
    checkAgainLater(path);
  };
  watcher.on('change', (path) => changed(path));
  watcher.on('add', (path) => changed(path));
  watcher.on('unlink', (path) => {
    if (closed || !targets.has(path)) return;
    clearTimeout(trailing.get(path));
    trailing.delete(path);
    options.onRemove?.(path);
  });
  watcher.on('error', (error) => {
    if (closed) return;
    const err = error instanceof Error ? error : new Error(String(error));
    (options.onError ?? ((e: Error) => console.error('uiprocs watch: file watcher:', e.message)))(err);
  });
  await new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));

  return {
    update(next) {
      if (closed) return;
      const nextTargets = new Set(next.map((p) => resolve(p)));
      const nextDirs = dirsOf(nextTargets);
      const added = [...nextDirs].filter((d) => !dirs.has(d));
      const removed = [...dirs].filter((d) => !nextDirs.has(d));
      targets = nextTargets;
      dirs = nextDirs;
      if (removed.length > 0) watcher.unwatch(removed);
      // A new target in an already-watched dir needs nothing more: `ignored` reads
      // `targets` live, and the dir watch reports the file's next event as an `add`.
      if (added.length > 0) watcher.add(added);
    },
    async close() {
      closed = true;
      for (const timer of trailing.values()) clearTimeout(timer);
      trailing.clear();
      await watcher.close();
    },
  };
}

/** Longer than chokidar's 50 ms change throttle. */
const TRAILING_CHECK_MS = 75;

/** What identifies a version of the file's content cheaply; undefined when it is gone. */
function signature(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return undefined;
  }
}

function dirsOf(files: Set<string>): Set<string> {
  return new Set([...files].map((f) => dirname(f)));
}
