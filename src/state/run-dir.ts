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
 *
 * On Linux the cached observer also keeps `/proc/<pid>/stat` open for each running record
 * ({@link StatHandles}): one pread per process per tick instead of open, read and close,
 * and no string made. The descriptor is bound to that very process (the kernel's
 * `struct pid`), so once it is reaped the read fails (ESRCH) even if its PID is reused:
 * the identity checked when the file was opened stays checked.
 */

import { type BigIntStats, closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { processKey } from '../core/identity.js';
import type { Observed, ObservedService, RunRecord } from '../core/model.js';
import { parseStat } from '../runtime/proc-text.js';
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
  const handles = options.cached && system.kind === 'linux' ? new StatHandles() : undefined;
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
      for (const record of records)
        services[record.name] = handles
          ? handles.judge(record, system, bootId)
          : judge(record, system, bootId);
      if (reread) handles?.keepOnly(records);
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

/**
 * Open `/proc/<pid>/stat` descriptors of running records, by pid and start time. A record
 * is `running` while a pread of its descriptor works and shows a state other than zombie;
 * anything else (no descriptor yet, a failed read, a zombie, a record from another boot)
 * goes through observe.ts `judge`, which also says why a record is stale.
 */
export class StatHandles {
  private readonly fds = new Map<string, number>();
  private readonly buffer = Buffer.allocUnsafe(1024);

  judge(record: RunRecord, system: System, bootId: string): ObservedService {
    const key = processKey(record);
    const fd = this.fds.get(key);
    if (fd !== undefined && record.bootId === bootId) {
      const state = this.stateOf(fd);
      if (state !== undefined && state !== 'Z' && state !== 'X')
        return { name: record.name, status: 'running', record };
      this.close(key);
    }
    const judged = judge(record, system, bootId);
    if (judged.status === 'running' && fd === undefined) this.open(key, record);
    return judged;
  }

  /** Close the descriptors of records no longer listed. */
  keepOnly(records: readonly RunRecord[]): void {
    const keys = new Set(records.map((r) => processKey(r)));
    for (const key of [...this.fds.keys()]) if (!keys.has(key)) this.close(key);
  }

  private open(key: string, record: RunRecord): void {
    let fd: number;
    try {
      fd = openSync(`/proc/${record.pid}/stat`, 'r');
    } catch {
      return;
    }
    // Opened after the check: make sure the descriptor is the checked process, not a
    // successor that took its PID in between.
    const n = this.read(fd);
    const info = n === undefined ? undefined : parseStat(this.buffer.toString('latin1', 0, n));
    if (info?.startTime !== record.startTime) {
      closeSync(fd);
      return;
    }
    this.fds.set(key, fd);
  }

  private stateOf(fd: number): string | undefined {
    const n = this.read(fd);
    if (n === undefined) return undefined;
    const close = this.buffer.lastIndexOf(0x29, n - 1); // ')'
    return close < 0 || close + 2 >= n ? undefined : String.fromCharCode(this.buffer[close + 2]!);
  }

  private read(fd: number): number | undefined {
    try {
      return readSync(fd, this.buffer, 0, this.buffer.length, 0);
    } catch {
      return undefined;
    }
  }

  private close(key: string): void {
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
