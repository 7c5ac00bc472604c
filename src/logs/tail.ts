import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { isErrno } from './errors.js';

/**
 * Reading the end of a log file without reading the file.
 *
 * Logs are rotated at `max_size` (10 MB by default) but nothing stops a service from writing
 * a 1 GB file before rotation first runs, so the tail is found by reading backwards in fixed
 * chunks and counting newline bytes: the cost is proportional to the size of the last N
 * lines, not to the size of the file. Newlines are counted in bytes, never in decoded text:
 * 0x0A never occurs inside a UTF-8 multi-byte sequence, so a chunk boundary cannot split a
 * character in a way that matters, and the kept range is decoded once at the end.
 */

/** Bytes per backward read: large enough that a typical 100-line tail is one or two reads. */
const CHUNK = 64 * 1024;
const NL = 0x0a;

/**
 * The last `n` lines of the file at `path`, oldest first, without their line terminators
 * (`\n` or `\r\n`). A final line without a trailing newline counts as a line. A missing file
 * has no lines (a service that has not started yet has not written anything). `n` may be
 * `Infinity` for the whole file (held in memory: meant for rotated logs of a few MB).
 *
 * Memory is proportional to the returned lines. If the file shrinks while it is read (a
 * copy-truncate rotation), the tail of the file as it is afterwards is returned.
 *
 * @throws NodeJS.ErrnoException for I/O errors other than ENOENT (EACCES, EISDIR…): the
 *   caller decides whether an unreadable log is a failure or a warning.
 */
export async function tailLines(path: string, n: number): Promise<string[]> {
  if (!(n > 0)) return [];
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  try {
    // Two attempts: the second sees the file after a concurrent truncation settled.
    for (let attempt = 0; ; attempt++) {
      const { size } = await fh.stat();
      const lines = await tailOfRange(fh, size, n);
      if (lines !== null) return lines;
      if (attempt >= 1) return [];
    }
  } finally {
    await fh.close();
  }
}

/**
 * The last `n` lines of bytes `[0, end)` of an open file, or `null` when the file turned out
 * shorter than `end` (it was truncated under us; the caller re-reads its size).
 * Exported for `follow.ts`, which must tail and then continue from exactly `end`.
 */
export async function tailOfRange(fh: FileHandle, end: number, n: number): Promise<string[] | null> {
  if (!(n > 0) || end <= 0) return [];
  const chunks: Buffer[] = [];
  let pos = end;
  let start = 0;
  let contentEnd = end;
  let needed = n;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len);
    if (!(await readExactly(fh, buf, pos))) return null;
    chunks.push(buf);
    let i = len - 1;
    if (pos + len === end && buf[len - 1] === NL) {
      // The newline that ends the last line separates nothing: it does not start a line.
      contentEnd = end - 1;
      i = len - 2;
    }
    let found = false;
    while (i >= 0) {
      const j = buf.lastIndexOf(NL, i);
      if (j < 0) break;
      if (--needed === 0) {
        start = pos + j + 1;
        found = true;
        break;
      }
      i = j - 1;
    }
    if (found) break;
  }
  chunks.reverse();
  const text = Buffer.concat(chunks).toString('utf8', start - pos, contentEnd - pos);
  return text.split('\n').map(stripCR);
}

/**
 * Where the last `n` lines of bytes `[0, end)` begin (0 when the range holds fewer), or
 * `null` when the file turned out shorter than `end`. A final newline at `end - 1` ends the
 * last line, it does not start one. For readers that need each line's offsets (timed-read.ts).
 */
export async function startOfLastLines(fh: FileHandle, end: number, n: number): Promise<number | null> {
  if (end <= 0) return 0;
  if (!(n > 0)) return end;
  if (n === Number.POSITIVE_INFINITY) return 0;
  let pos = end;
  let needed = n;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len);
    if (!(await readExactly(fh, buf, pos))) return null;
    let i = pos + len === end && buf[len - 1] === NL ? len - 2 : len - 1;
    while (i >= 0) {
      const j = buf.lastIndexOf(NL, i);
      if (j < 0) break;
      if (--needed === 0) return pos + j + 1;
      i = j - 1;
    }
  }
  return 0;
}

/**
 * The offset just past the last newline before `size` (0 when there is none): where the
 * complete lines end and an unfinished line begins. `follow.ts` tails up to here and reads
 * the unfinished line as new data, so it is printed once, when its newline arrives.
 * Returns `null` when the file turned out shorter than `size`.
 */
export async function endOfLastLine(fh: FileHandle, size: number): Promise<number | null> {
  let pos = size;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len);
    if (!(await readExactly(fh, buf, pos))) return null;
    const j = buf.lastIndexOf(NL);
    if (j >= 0) return pos + j + 1;
  }
  return 0;
}

/** `\r\n` files (a Windows-minded tool, a Python logger on a raw stream) print cleanly. */
export function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Fills `buf` from `position`; false when the file ends first (it shrank). */
async function readExactly(fh: FileHandle, buf: Buffer, position: number): Promise<boolean> {
  let filled = 0;
  while (filled < buf.length) {
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, position + filled);
    if (bytesRead === 0) return false;
    filled += bytesRead;
  }
  return true;
}
