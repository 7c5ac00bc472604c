/**
 * Log lines with the time each was written (`logs -t`, `--since`, `--json`, the dashboard):
 * a log file's lines with their byte offsets, timed from its index (state/log-times.ts,
 * logs/line-times.ts).
 *
 * A window (`since`) may reach back past the last rotation, so then the rotated files
 * (`log.N` … `log.1`, each with its own index) are read too, oldest first. Those are read
 * whole — at most `keep` × `max_size` bytes (30 MB by default) — while a plain tail reads
 * only its last lines (tail.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { readTimes, type StreamName } from '../state/log-times.js';
import { isErrno } from './errors.js';
import { lineTimes } from './line-times.js';
import { endOfLastLine, startOfLastLines, stripCR } from './tail.js';

export interface TimedLine {
  service: string;
  text: string;
  /** Wall-clock ms. */
  at: number;
  approx: boolean;
  after?: number;
  stream: StreamName;
}

export interface TimedReadOptions {
  /** Lines per service (the last ones within the window); Infinity for all. */
  tail: number;
  /** Wall-clock ms: only lines written at or after / at or before. */
  since?: number;
  until?: number;
  /** How many rotated files may exist (the log's `keep`). */
  keep: number;
}

/** One service's lines in file order, timed; a missing log has none. */
export async function readTimedLines(
  service: string,
  path: string,
  opts: TimedReadOptions,
): Promise<TimedLine[]> {
  const files = opts.since === undefined ? [path] : [...rotated(path, opts.keep), path];
  let out: TimedLine[] = [];
  for (const file of files) {
    const whole = file !== path || opts.since !== undefined;
    const read = await linesWithEnds(file, whole ? Number.POSITIVE_INFINITY : opts.tail);
    if (read === undefined) continue;
    const times = lineTimes(readTimes(file), read.ends, read.mtimeMs);
    read.lines.forEach((text, i) => {
      const t = times[i]!;
      if (opts.since !== undefined && t.at < opts.since) return;
      if (opts.until !== undefined && t.at > opts.until) return;
      out.push({ service, text, ...t });
    });
  }
  if (out.length > opts.tail) out = out.slice(out.length - opts.tail);
  return out;
}

/** `log.keep` … `log.1`: the oldest first. */
function rotated(path: string, keep: number): string[] {
  const out: string[] = [];
  for (let i = Math.max(0, Math.floor(keep)); i >= 1; i--) out.push(`${path}.${i}`);
  return out;
}

/**
 * The last `n` complete lines of the file, each with the offset just past its newline, and
 * the file's mtime; undefined when the file does not exist. An unfinished last line is not
 * a line yet (logs -f prints it once it ends).
 */
export async function linesWithEnds(
  path: string,
  n: number,
): Promise<{ lines: string[]; ends: number[]; mtimeMs: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const st = await fh.stat();
      const end = await endOfLastLine(fh, st.size);
      const start = end === null ? null : await startOfLastLines(fh, end, n);
      if (end === null || start === null) continue;
      const buf = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      if (bytesRead < buf.length) continue;
      return { ...splitWithEnds(buf, start), mtimeMs: st.mtimeMs };
    }
    return { lines: [], ends: [], mtimeMs: Date.now() };
  } finally {
    await fh.close();
  }
}

/** Complete lines of `buf` (which starts at file offset `base`), each with the offset past its newline. */
export function splitWithEnds(buf: Buffer, base: number): { lines: string[]; ends: number[] } {
  const lines: string[] = [];
  const ends: number[] = [];
  let from = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, from)) {
    lines.push(stripCR(buf.toString('utf8', from, nl)));
    ends.push(base + nl + 1);
    from = nl + 1;
  }
  return { lines, ends };
}
