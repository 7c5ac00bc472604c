/**
 * Stamps the running services' logs with time: a duty of whoever holds the duties (the
 * supervisor, or a foreground watch), which appends to each log's index (state/log-times.ts)
 * when the log grows. The services keep writing straight to their files: nothing of theirs
 * passes through this process, so a stamper that is busy, slow or `kill -9`ed never blocks
 * a service, never sends it SIGPIPE, never loses a line — it only leaves lines it did not
 * see with an approximate time (logs/line-times.ts says how it is derived).
 *
 * - Noticing a write: an inotify watch per log folder (fs.watch), one for all the logs in
 *   it; a write wakes it within milliseconds. From that event on, the folder is polled every
 *   MIN_SPACING_MS while its logs keep growing, and watched again once they are quiet
 *   (watchDir): a service printing a million lines a second costs the stamper 200 looks a
 *   second, each a stat and two small /proc reads, not a million wake-ups. A tick of the
 *   host looks at every log (a `stat` each) every SAFETY_MS, in case an event was lost,
 *   and at an unwatched folder's logs on every tick.
 * - Which stream: stdout and stderr are two opens of the same O_APPEND file
 *   (runtime/spawn.ts), so each has its own file position, which after a write is where
 *   that write ended; `/proc/<pid>/fdinfo/1` and `/2` give them. Between two looks, bytes
 *   after the end of one stream's last write can only be the other's: exact whenever one
 *   stream wrote between two looks (the usual case, looks following writes by ms), and
 *   the earlier part of a mixed burst goes to the stream that wrote last in it. What
 *   neither position explains (a process that reopened the file) is `unknown`.
 * - A stamper that begins (a new supervisor, a watch taking over) writes a `start` entry
 *   at the log's current size: bytes before it that no entry covers were written while
 *   nothing stamped.
 * - A log that shrank: rotated by log-rotation.ts (which moves the index with the copy and
 *   tells us through `rotated`), or truncated by someone else (the index is dropped: its
 *   offsets no longer describe the file).
 *
 * Cost per service: one small state object (path, size, two positions, a timer), no
 * buffer, no process; one inotify watch per log folder.
 */
import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { RunRecord } from '../core/model.js';
import { appendTimes, dropTimes, type StreamName, type TimeEntry } from '../state/log-times.js';
import type { Duty } from './duty.js';

/** Looks at one log at most this often: the precision of a stamp under a flood. */
export const MIN_SPACING_MS = 5;
/** A folder polled while its logs grow goes back to being watched once they are quiet this long. */
export const QUIET_MS = 100;
/** How often a tick looks at the logs of a watched folder anyway (an event lost to a full inotify queue). */
export const SAFETY_MS = 10_000;

export interface LogStampsInput {
  /** The running records as the last tick saw them (the log path and the PID to read positions of). */
  running: () => ReadonlyMap<string, RunRecord>;
  /** Wall-clock ms. */
  now?: () => number;
}

export interface LogStamps extends Duty {
  /** Stamp what `logPath` holds now (before a rotation copies it). */
  flush(logPath: string): void;
  /** The rotation is over; when `happened`, the log starts again from its current size, with a fresh index. */
  rotated(logPath: string, happened: boolean): void;
}

/** A log folder: watched, or polled while its logs keep growing (see watchDir). */
interface DirWatch {
  watcher: FSWatcher | undefined;
  poll: NodeJS.Timeout | undefined;
  /** ms its logs have not grown, while polled. */
  quiet: number;
}

function closeDir(d: DirWatch): void {
  d.watcher?.close();
  d.watcher = undefined;
  if (d.poll !== undefined) clearTimeout(d.poll);
  d.poll = undefined;
}

interface Followed {
  path: string;
  pid: number;
  /** Bytes stamped so far. */
  size: number;
  /** Where stdout's and stderr's last writes ended, at the last look. */
  out: number | undefined;
  err: number | undefined;
  lastLook: number;
  timer: NodeJS.Timeout | undefined;
  /** Between flush and rotated: the index is being moved, nothing is appended to it. */
  rotating: boolean;
}

export function startLogStamps(input: LogStampsInput): LogStamps {
  const now = input.now ?? Date.now;
  const logs = new Map<string, Followed>();
  const dirs = new Map<string, DirWatch>();
  let stopped = false;
  let lastSafety = 0;

  const look = (f: Followed) => {
    f.timer = undefined;
    if (f.rotating) return;
    f.lastLook = performance.now();
    let size: number;
    try {
      size = statSync(f.path).size;
    } catch {
      return;
    }
    if (size < f.size) {
      // Truncated by someone other than our rotation: the old offsets mean nothing now.
      dropTimes(f.path);
      f.size = size;
      appendTimes(f.path, [{ kind: 'start', offset: size, at: now() }]);
      return;
    }
    if (size === f.size) return;
    const out = position(f.pid, 1);
    const err = position(f.pid, 2);
    // A write between the stat and the positions' reads moved a position past `size`: the
    // bytes up to it are explained too, so stamp up to there (checked against a second
    // stat: a position of some other file the process has as fd 1 or 2 is not ours).
    const after = Math.max(size, ...[out, err].filter((p): p is number => p !== undefined));
    if (after > size) {
      try {
        if (after <= statSync(f.path).size) size = after;
      } catch {
        // Gone meanwhile: stamp what was seen.
      }
    }
    appendTimes(f.path, attribute(f, size, out, err, now()));
    f.size = size;
    f.out = out;
    f.err = err;
  };

  /** A write was seen: look now, or once MIN_SPACING_MS has passed since the last look. */
  const poke = (f: Followed) => {
    if (stopped || f.timer !== undefined) return;
    const wait = MIN_SPACING_MS - (performance.now() - f.lastLook);
    if (wait <= 0) look(f);
    else f.timer = setTimeout(() => look(f), wait);
  };

  /**
   * A log folder's watch, in one of two states:
   *
   * ```
   *   watching ──first event──▶ polling (the watch closed; every MIN_SPACING_MS, look at its logs)
   *      ▲                          │ nothing grew for QUIET_MS
   *      └──────── watch again, look once more ◀┘
   * ```
   *
   * inotify reports every write(2): a service printing a million lines a second would wake
   * this process a million times (measured: a core's worth of CPU, and the writer slowed by
   * the contention). So the first event closes the watch and the folder is polled while
   * its logs keep growing; once they are quiet, it is watched again.
   */
  const watchDir = (dir: string) => {
    const d = dirs.get(dir) ?? { watcher: undefined, poll: undefined, quiet: 0 };
    dirs.set(dir, d);
    if (d.watcher !== undefined || d.poll !== undefined || stopped) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || !logs.has(`${dir}/${String(name)}`)) return;
        w.close();
        d.watcher = undefined;
        d.quiet = 0;
        pollDir(dir, d);
      });
      w.on('error', () => {
        w.close();
        d.watcher = undefined;
      });
      d.watcher = w;
    } catch {
      // No inotify (out of watches, a filesystem without events): the ticks still look.
    }
  };

  const pollDir = (dir: string, d: DirWatch) => {
    d.poll = setTimeout(() => {
      d.poll = undefined;
      if (stopped) return;
      let grew = false;
      for (const f of logs.values()) {
        if (dirname(f.path) !== dir) continue;
        const before = f.size;
        look(f);
        if (f.size !== before) grew = true;
      }
      d.quiet = grew ? 0 : d.quiet + MIN_SPACING_MS;
      if (d.quiet < QUIET_MS) pollDir(dir, d);
      else {
        watchDir(dir);
        // What was written between the last look and the new watch.
        for (const f of logs.values()) if (dirname(f.path) === dir) look(f);
      }
    }, MIN_SPACING_MS);
    d.poll.unref();
  };

  const begin = (path: string, pid: number) => {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // Not written yet.
    }
    const f: Followed = {
      path,
      pid,
      size,
      out: position(pid, 1),
      err: position(pid, 2),
      lastLook: 0,
      timer: undefined,
      rotating: false,
    };
    logs.set(path, f);
    appendTimes(path, [{ kind: 'start', offset: size, at: now() }]);
    watchDir(dirname(path));
  };

  return {
    sync() {
      if (stopped) return;
      const wanted = new Map<string, number>();
      for (const r of input.running().values()) wanted.set(r.logPath, r.pid);
      for (const [path, f] of logs) {
        if (wanted.get(path) === f.pid) continue;
        // Stopped, or another process now writes it: what it wrote is stamped, then it is let go.
        if (f.timer !== undefined) clearTimeout(f.timer);
        look(f);
        logs.delete(path);
      }
      // A watched folder reports writes itself: its logs are looked at by a tick only every
      // SAFETY_MS, in case an event was lost; an unwatched one's on every tick.
      const safety = performance.now() - lastSafety >= SAFETY_MS;
      if (safety) lastSafety = performance.now();
      for (const [path, pid] of wanted) {
        const f = logs.get(path);
        if (f === undefined) begin(path, pid);
        else if (safety || dirs.get(dirname(path))?.watcher === undefined) poke(f);
      }
      const inUse = new Set([...logs.keys()].map((p) => dirname(p)));
      for (const [dir, d] of dirs)
        if (!inUse.has(dir)) {
          closeDir(d);
          dirs.delete(dir);
        }
    },
    flush(logPath) {
      const f = logs.get(logPath);
      if (f === undefined) return;
      if (f.timer !== undefined) clearTimeout(f.timer);
      look(f);
      f.rotating = true;
    },
    rotated(logPath, happened) {
      const f = logs.get(logPath);
      if (f === undefined) return;
      f.rotating = false;
      if (!happened) {
        look(f);
        return;
      }
      try {
        f.size = statSync(logPath).size;
      } catch {
        f.size = 0;
      }
      // Whatever was written since the truncation is the new file's first bytes: seen now.
      if (f.size > 0) appendTimes(logPath, [{ kind: 'write', offset: f.size, at: now(), stream: 'unknown' }]);
    },
    async stop() {
      stopped = true;
      for (const f of logs.values()) {
        if (f.timer !== undefined) clearTimeout(f.timer);
        look(f);
      }
      logs.clear();
      for (const d of dirs.values()) closeDir(d);
      dirs.clear();
    },
  };
}

/**
 * The entries for bytes [f.size, size): by stream where the two positions tell (see the
 * module comment). `out`/`err`: the positions now; f.out/f.err: at the last look.
 */
export function attribute(
  f: Pick<Followed, 'size' | 'out' | 'err'>,
  size: number,
  out: number | undefined,
  err: number | undefined,
  at: number,
): TimeEntry[] {
  const wrote = (now: number | undefined, before: number | undefined) =>
    now !== undefined && now !== before && now > f.size && now <= size;
  const ends: { end: number; stream: StreamName }[] = [];
  // Two positions that are the same descriptor (an old record: one open for both) tell nothing.
  const shared = out !== undefined && out === err;
  if (!shared && wrote(out, f.out)) ends.push({ end: out!, stream: 'stdout' });
  if (!shared && wrote(err, f.err)) ends.push({ end: err!, stream: 'stderr' });
  ends.sort((a, b) => a.end - b.end);
  const entries: TimeEntry[] = ends.map((e) => ({ kind: 'write', offset: e.end, at, stream: e.stream }));
  if ((ends.at(-1)?.end ?? f.size) < size)
    entries.push({ kind: 'write', offset: size, at, stream: 'unknown' });
  return entries;
}

/** Where the write through `fd` of `pid` last ended (its file position), if readable. */
function position(pid: number, fd: number): number | undefined {
  try {
    const m = /^pos:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}
