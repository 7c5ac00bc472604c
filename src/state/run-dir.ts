/**
 * A look at `run/` for loops that look every second (the supervisor, watch): the run
 * records, the stop markers and which processes still live.
 *
 * Why it can be cheap: every change to `run/` that matters is a directory entry made or
 * removed — records and pid files are renamed into place (atomic-file.ts), stop markers
 * created or unlinked, `.supervisor.json`, `.watch.json` and `.desired.json` likewise — and
 * each of those bumps the directory's mtime. So when `run/`'s mtime (and inode) did not
 * change, the records read last time are still the records, and a tick costs one `stat`
 * plus one `/proc/<pid>/stat` read per record (the identity check of observe.ts, which
 * must be fresh every time: a process dies without touching `run/`).
 *
 * The one catch is the timestamp's granularity: the kernel stamps mtimes from a coarse
 * clock (a few ms), so a change made in the same instant as the previous read could leave
 * the mtime equal. As git does for its index ("racy git"), a listing is trusted only once
 * the mtime it was read at is older than {@link RACY_MS}; until then every look re-reads.
 */
import { type BigIntStats, readdirSync, statSync } from 'node:fs';
import type { Observed, RunRecord } from '../core/model.js';
import type { System } from '../runtime/system.js';
import { judge } from './observe.js';
import { errnoCode, statePaths } from './paths.js';
import { readRecords } from './store.js';

/** How old `run/`'s mtime must be before a listing read after it is reused. */
export const RACY_MS = 2_000;

export type RunDirLook =
  | { kind: 'gone' }
  | {
      kind: 'seen';
      /** What observe() would say, with fresh identity checks. */
      observed: Observed;
      /** Names with a stop marker (`run/<name>.stopped`). */
      stopped: ReadonlySet<string>;
      /** Whether `run/` was (re-)read for this look: other files in it may have changed. */
      reread: boolean;
    };

export interface RunDirObserver {
  look(stateDir: string): RunDirLook;
}

/**
 * `cached: false` re-reads on every look (watch, whose ticks must see exactly what observe
 * sees); `true` reuses the listing while `run/` is unchanged (the supervisor).
 */
export function runDirObserver(system: System, options: { cached: boolean }): RunDirObserver {
  let key: string | undefined;
  let dir: string | undefined;
  let records: RunRecord[] = [];
  let warnings: string[] = [];
  let stopped = new Set<string>();
  return {
    look(stateDir) {
      const run = statePaths(stateDir).run;
      let st: BigIntStats;
      try {
        st = statSync(run, { bigint: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return { kind: 'gone' };
        throw error;
      }
      const nextKey = `${st.dev}:${st.ino}:${st.mtimeNs}`;
      const racy = Date.now() - Number(st.mtimeNs / 1_000_000n) < RACY_MS;
      const reread = !options.cached || racy || nextKey !== key || dir !== stateDir;
      if (reread) {
        const read = readRecords(stateDir, { repair: false });
        records = read.records;
        warnings = read.problems;
        stopped = stopMarkers(run);
        key = nextKey;
        dir = stateDir;
      }
      const bootId = system.bootId();
      const services: Observed['services'] = {};
      for (const record of records) services[record.name] = judge(record, system, bootId);
      return { kind: 'seen', observed: { services, warnings }, stopped, reread };
    },
  };
}

function stopMarkers(run: string): Set<string> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(run);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.endsWith('.stopped') && !name.startsWith('.')) out.add(name.slice(0, -'.stopped'.length));
  }
  return out;
}
