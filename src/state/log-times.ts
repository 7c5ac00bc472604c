/**
 * When each byte of a service's log was written: the log's time index, `<log>.times`, beside
 * the log (and `<log>.1.times` beside `<log>.1` once rotated; logs/rotate.ts moves them
 * together). The services write their log themselves, straight to the file; the index is
 * kept by whoever holds the duties (duties/log-stamps.ts), which sees every write within a
 * few milliseconds through inotify, and is read by `logs -t` (logs/line-times.ts).
 *
 * One entry per line of text, appended with O_APPEND in one write (atomic: shorter than
 * PIPE_BUF), so a stamper killed mid-write leaves at worst one torn line, skipped on read:
 *
 * ```
 * o 1234 1765110000123   bytes up to offset 1234 (since the previous entry) were written
 *                        by stdout, and existed at that wall-clock ms
 * e 1301 1765110000125   … by stderr
 * ? 1400 1765110000130   … by a stream that could not be told (see log-stamps.ts)
 * s 1400 1765110000200   a stamper began here: bytes before 1400 not covered by an earlier
 *                        entry were written while nothing stamped; they existed by then
 * ```
 *
 * The index never decides what runs: a missing or corrupt index only makes times
 * approximate (the reader falls back to the file's mtime, and says so).
 */
import { appendFileSync, readFileSync, unlinkSync } from 'node:fs';

export type StreamName = 'stdout' | 'stderr' | 'unknown';

export type TimeEntry =
  /** Bytes since the previous entry, up to `offset`, were written by `stream` and existed at `at`. */
  | { kind: 'write'; offset: number; at: number; stream: StreamName }
  /** A stamper began at `at`: unstamped bytes before `offset` existed by then, no earlier known. */
  | { kind: 'start'; offset: number; at: number };

const CODE: Record<StreamName, string> = { stdout: 'o', stderr: 'e', unknown: '?' };
const STREAM: Record<string, StreamName> = { o: 'stdout', e: 'stderr', '?': 'unknown' };

/** The index of the log at `logPath` (a live log, or a rotated `log.N`). */
export function timesPath(logPath: string): string {
  return `${logPath}.times`;
}

/** Appends entries in one write. Never throws: an index that cannot be written only costs precision. */
export function appendTimes(logPath: string, entries: readonly TimeEntry[]): boolean {
  if (entries.length === 0) return true;
  let text = '';
  for (const e of entries) {
    const code = e.kind === 'start' ? 's' : CODE[e.stream];
    text += `${code} ${e.offset} ${Math.round(e.at)}\n`;
  }
  try {
    appendFileSync(timesPath(logPath), text, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

/** Removes the index (the log was truncated by someone else: its offsets no longer hold). */
export function dropTimes(logPath: string): void {
  try {
    unlinkSync(timesPath(logPath));
  } catch {
    // Already gone.
  }
}

/**
 * The entries of the log's index, in offset order. Malformed lines (a torn last write)
 * are skipped; when offsets go backwards (the log was truncated and the index not
 * removed), only the entries after the last such drop describe the file as it is.
 */
export function readTimes(logPath: string): TimeEntry[] {
  let text: string;
  try {
    text = readFileSync(timesPath(logPath), 'utf8');
  } catch {
    return [];
  }
  let out: TimeEntry[] = [];
  let last = -1;
  for (const line of text.split('\n')) {
    const e = parseTimesLine(line);
    if (e === undefined) continue;
    if (e.offset < last) out = [];
    last = e.offset;
    out.push(e);
  }
  return out;
}

/** One line of an index, or undefined for a malformed (torn) one. */
export function parseTimesLine(line: string): TimeEntry | undefined {
  const m = /^([oe?s]) (\d+) (\d+)$/.exec(line);
  if (m === null) return undefined;
  const offset = Number(m[2]);
  const at = Number(m[3]);
  return m[1] === 's' ? { kind: 'start', offset, at } : { kind: 'write', offset, at, stream: STREAM[m[1]!]! };
}
