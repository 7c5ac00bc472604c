/**
 * The time of each log line, from the log's index (state/log-times.ts). Pure: the reader
 * (timed-read.ts) brings the entries, the lines' end offsets and the file's mtime.
 *
 * A line's time is when its newline existed: the first index entry at or past the line's
 * end offset. How honest that is depends on the entry:
 *
 * - a `write` entry: a stamper saw the bytes within milliseconds of their write (it
 *   watches the file through inotify). Exact to that, and the entry names the stream.
 * - a `start` entry: the line was written while nothing stamped (the supervisor was
 *   killed, or not running: `supervise: false`, a one-shot task); all that is known is it
 *   existed when the next stamper began. That moment is shown, marked `approx`, with the
 *   earliest it can have been (`after`: the entry before it).
 * - no entry yet (after everything stamped): the file's mtime, the time of its last
 *   write, which every byte of it precedes (but never before the last stamp: the kernel's
 *   file times run a clock tick behind); also `approx`.
 */
import type { StreamName, TimeEntry } from '../state/log-times.js';

export interface LineTime {
  /** Wall-clock ms. */
  at: number;
  /** The time is an upper bound, not the moment of the write (see the module comment). */
  approx: boolean;
  /** Only with `approx`: the line was written after this (wall-clock ms), when known. */
  after?: number;
  stream: StreamName;
}

/**
 * Times for lines ending (just past their newline) at `ends`, which must be ascending.
 * `entries` in offset order (readTimes). One pass over both.
 */
export function lineTimes(
  entries: readonly TimeEntry[],
  ends: readonly number[],
  mtimeMs: number,
): LineTime[] {
  const out: LineTime[] = [];
  let i = 0;
  for (const end of ends) {
    while (i < entries.length && entries[i]!.offset < end) i++;
    const e = entries[i];
    if (e === undefined) {
      const before = entries.at(-1);
      // The kernel's file times are coarse (a clock tick, ~4 ms, behind): never before the last stamp.
      const at = Math.max(mtimeMs, before?.at ?? 0);
      out.push({ at, approx: true, ...(before ? { after: before.at } : {}), stream: 'unknown' });
    } else if (e.kind === 'start') {
      const before = i > 0 ? entries[i - 1] : undefined;
      out.push({ at: e.at, approx: true, ...(before ? { after: before.at } : {}), stream: 'unknown' });
    } else out.push({ at: e.at, approx: false, stream: e.stream });
  }
  return out;
}
