import { type FSWatcher, statSync, watch } from 'node:fs';
import { dirname } from 'node:path';

/** What a directory watch wakes: a follower of one file in it (follow.ts). */
export interface Pokeable {
  readonly path: string;
  readonly fileName: string;
  poke(): void;
}

/**
 * One `fs.watch` per distinct log directory. A directory that does not exist yet, or whose
 * watch failed or was replaced (its inode changed), is (re)watched on the next `refresh`.
 */
export class DirectoryWatchers {
  private readonly byDir = new Map<
    string,
    { followers: Pokeable[]; watcher: FSWatcher | null; ino: number }
  >();

  constructor(followers: readonly Pokeable[]) {
    for (const f of followers) {
      const dir = dirname(f.path);
      const entry = this.byDir.get(dir) ?? { followers: [], watcher: null, ino: -1 };
      entry.followers.push(f);
      this.byDir.set(dir, entry);
    }
  }

  /** Synchronous on purpose: one `statSync` per directory per poll tick is cheaper than bookkeeping. */
  refresh(): void {
    for (const [dir, entry] of this.byDir) {
      let ino = -1;
      try {
        ino = statSync(dir).ino;
      } catch {
        // Not there (yet): the poll covers it.
      }
      if (entry.watcher && ino === entry.ino) continue;
      entry.watcher?.close();
      entry.watcher = null;
      entry.ino = ino;
      if (ino === -1) continue;
      try {
        const watcher = watch(dir, { persistent: true }, (_event, fileName) => {
          for (const f of entry.followers) if (fileName === null || fileName === f.fileName) f.poke();
        });
        watcher.on('error', () => {
          watcher.close();
          if (entry.watcher === watcher) entry.watcher = null;
        });
        entry.watcher = watcher;
      } catch {
        // ENOSPC (inotify limit) or a filesystem without events: polling alone then.
      }
    }
  }

  close(): void {
    for (const entry of this.byDir.values()) {
      entry.watcher?.close();
      entry.watcher = null;
    }
  }
}
