/**
 * Watches source trees for `watch:` (source-watch.ts): one inotify watch per folder, none
 * per file, folders the filter skips (node_modules, .git, ignored ones) never walked.
 *
 * Why not chokidar (which watches the manifest, file-watcher.ts): it puts a watcher on every
 * file as well as every folder and keeps an object per entry. Measured in `npm run bench`
 * (devloop) with 5,000 watched files and 45,000 ignored in node_modules: chokidar added
 * 32.4 MiB and 0.95 % of a core to the idle supervisor (first scan 2.6 s); this adds
 * 2.8 MiB and 0.07 % (first scan 0.7 s; docs/DESIGN.md, "Source watching"). On Linux a folder's inotify watch reports writes,
 * creations, deletions and renames of the files in it, which is all a restart needs.
 *
 * - A new folder (a `git checkout`, `mkdir -p`) is walked and watched as it appears, and
 *   its files count as changed. A removed folder's watches are closed.
 * - An event for a file that is gone by the time it is looked at and was never seen (an
 *   editor's temporary file: vim's `4913`, `.swp`) is not a change.
 * - `since` (the running process's start, wall-clock ms): the first walk reports every file
 *   modified after it, so a change made while nothing watched is not lost.
 * - Polling (`pollMs`), when inotify ran out or UIPROCS_WATCH_POLL=1: the tree is walked
 *   every `pollMs`, comparing each file's mtime and size with the last walk.
 */
import { type Dirent, type FSWatcher, lstatSync, readdirSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';

export interface TreeWatchOptions {
  skip(abs: string, isDir: boolean | undefined): boolean;
  onChange(abs: string): void;
  /** A watch could not be made (ENOSPC: out of inotify watches) or failed later. */
  onError(error: NodeJS.ErrnoException): void;
  /** Report files modified after this (wall-clock ms) in the first walk. */
  since?: number;
  /** Walk every `pollMs` instead of using inotify. */
  pollMs?: number;
}

export interface TreeWatcher {
  /** Files seen, for a newcomer to size its memory by. */
  readonly files: number;
  close(): void;
}

/** A file's version, cheaply: mtime and size. */
type Version = string;

export function watchTree(roots: readonly string[], opts: TreeWatchOptions): TreeWatcher {
  const known = new Map<string, Version>();
  const dirs = new Map<string, FSWatcher | undefined>();
  let closed = false;
  let failed = false;

  const versionOf = (abs: string): { dir: boolean; version: Version } | undefined => {
    try {
      const st = lstatSync(abs);
      return { dir: st.isDirectory(), version: `${st.mtimeMs}:${st.size}` };
    } catch {
      return undefined;
    }
  };

  /** Looks at one path after an event (or in a walk): a change, a new folder, or nothing. */
  const look = (abs: string, report: boolean) => {
    if (closed) return;
    const now = versionOf(abs);
    if (now === undefined) {
      if (dirs.has(abs)) unwatchUnder(abs);
      if (known.delete(abs) && report) opts.onChange(abs);
      return;
    }
    if (now.dir) {
      if (!dirs.has(abs) && !opts.skip(abs, true)) walk(abs, report, undefined);
      return;
    }
    if (opts.skip(abs, false)) return;
    const before = known.get(abs);
    known.set(abs, now.version);
    if (report && before !== now.version) opts.onChange(abs);
  };

  /**
   * Watches `dir` and everything under it that is not skipped. `report`: its files are new
   * (a folder that appeared). `since`: the first walk, reporting files modified after it.
   */
  const walk = (dir: string, report: boolean, since: number | undefined) => {
    if (closed || failed || dirs.has(dir)) return;
    let watcher: FSWatcher | undefined;
    if (opts.pollMs === undefined) {
      try {
        watcher = watch(dir, { persistent: true }, (_event, name) => {
          if (name !== null) look(join(dir, String(name)), true);
        });
        watcher.on('error', () => unwatchUnder(dir));
      } catch (error) {
        failed = true;
        opts.onError(error as NodeJS.ErrnoException);
        return;
      }
    }
    dirs.set(dir, watcher);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (!opts.skip(abs, true)) walk(abs, report, since);
        continue;
      }
      if (opts.skip(abs, false)) continue;
      const v = versionOf(abs);
      if (v === undefined) continue;
      known.set(abs, v.version);
      if (report) opts.onChange(abs);
      else if (since !== undefined && Number(v.version.split(':')[0]) > since) opts.onChange(abs);
    }
  };

  const unwatchUnder = (dir: string) => {
    for (const [d, w] of dirs) {
      if (d === dir || d.startsWith(`${dir}/`)) {
        w?.close();
        dirs.delete(d);
      }
    }
  };

  const start = (since: number | undefined) => {
    for (const root of roots) {
      const v = versionOf(root);
      if (v?.dir) walk(root, false, since);
      else if (v !== undefined) {
        // A single file: its folder is watched, and only the file looked at.
        watchFileIn(dirname(root), root, since, v.version);
      } else watchFileIn(dirname(root), root, since, undefined);
    }
  };

  /** A root that is a file, or does not exist yet: watch its folder for that one name. */
  const watchFileIn = (
    dir: string,
    file: string,
    since: number | undefined,
    version: Version | undefined,
  ) => {
    if (version !== undefined) {
      known.set(file, version);
      if (since !== undefined && Number(version.split(':')[0]) > since) opts.onChange(file);
    }
    if (opts.pollMs !== undefined || dirs.has(dir)) return;
    try {
      const w = watch(dir, { persistent: true }, (_event, name) => {
        const abs = join(dir, String(name));
        if (abs === file) look(abs, true);
        else if (roots.includes(abs)) look(abs, true);
      });
      w.on('error', () => {});
      dirs.set(dir, w);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') {
        failed = true;
        opts.onError(error as NodeJS.ErrnoException);
      }
    }
  };

  start(opts.since);

  let timer: NodeJS.Timeout | undefined;
  if (opts.pollMs !== undefined) {
    const poll = () => {
      if (closed) return;
      const before = new Map(known);
      known.clear();
      dirs.clear();
      for (const root of roots) {
        const v = versionOf(root);
        if (v?.dir) walk(root, false, undefined);
        else if (v !== undefined && !opts.skip(root, false)) known.set(root, v.version);
      }
      for (const [path, version] of known) if (before.get(path) !== version) opts.onChange(path);
      for (const path of before.keys()) if (!known.has(path)) opts.onChange(path);
      timer = setTimeout(poll, opts.pollMs);
    };
    timer = setTimeout(poll, opts.pollMs);
  }

  return {
    get files() {
      return known.size;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of dirs.values()) w?.close();
      dirs.clear();
    },
  };
}
