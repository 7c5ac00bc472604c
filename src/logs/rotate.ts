import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fail, type LogSpec, ok, type Result } from '../core/model.js';
import { timesPath } from '../state/log-times.js';
import { describeError, isErrno } from './errors.js';

/**
 * Size-based log rotation by copy-truncate, and the up-front check that a log can be written.
 *
 * Why copy-truncate and not rename: a service's stdout and stderr are the log file itself
 * (opened with O_APPEND before the service starts), and uiprocs has no daemon to hand the
 * service a new descriptor, nor can it ask Streamlit or a Python server to reopen its
 * output. So the file keeps its inode: its bytes are copied to `path.1` and it is truncated
 * to 0. Because the service's descriptor is O_APPEND, its next write lands at the new end —
 * offset 0 — instead of leaving a hole of zeros up to its old offset.
 */

/**
 * Rotates `log.path` when it has reached `log.maxSize` bytes: `path.(keep-1)` … `path.1`
 * move up one (the oldest, `path.keep`, is overwritten), rotated files left beyond `keep` by
 * an earlier, larger `keep` are removed, the live file is copied to `path.1` and truncated.
 * `keep: 0` truncates without keeping a copy. A missing file, or `maxSize` ≤ 0 (rotation off),
 * is left alone.
 *
 * **Known race, inherent to copy-truncate:** lines the service writes between the end of the
 * copy and the truncation are lost. The last read to EOF, its write and the `ftruncate` run
 * back to back without yielding (copyToEnd), so the window is those three syscalls
 * (microseconds), not the time of the copy; it cannot be closed without the writer's
 * cooperation. The time index (`path.times`) moves with the copy to `path.1.times`.
 *
 * Rotated files may exceed `maxSize` by whatever was written since the last check: rotation
 * runs before a start and on each watch tick, it does not meter writes.
 *
 * Not safe to run twice at once on the same log: callers hold the state lock (DESIGN.md).
 * On an I/O failure the live file is left untouched (never truncated without a full copy).
 */
export async function rotateIfNeeded(log: LogSpec): Promise<Result<{ rotated: boolean }>> {
  const { path, maxSize } = log;
  const keep = Math.max(0, Math.floor(log.keep));
  if (!(maxSize > 0)) return ok({ rotated: false });
  try {
    const st = await stat(path);
    if (st.size < maxSize) return ok({ rotated: false });
    await removeBeyond(path, keep);
    for (let i = keep - 1; i >= 1; i--) {
      await renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
      await renameIfExists(timesPath(`${path}.${i}`), timesPath(`${path}.${i + 1}`));
    }
    // The time index goes with the bytes it describes (state/log-times.ts).
    if (keep > 0) await renameIfExists(timesPath(path), timesPath(`${path}.1`));
    else await unlinkIfExists(timesPath(path));
    const live = await open(path, 'r+');
    try {
      if (keep > 0) await copyToEnd(live, `${path}.1`, st.mode & 0o777);
      else ftruncateSync(live.fd, 0);
    } finally {
      await live.close();
    }
    return ok({ rotated: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return ok({ rotated: false });
    return fail({ reason: 'io', message: `cannot rotate log ${path}: ${describeError(error)}` });
  }
}

/**
 * Checks, before anything starts, that the service's output will have somewhere to go:
 * creates the log's directory if missing and opens the file for append (creating it, as the
 * service's start would). A directory that cannot be created or a file that cannot be
 * opened is a Failure `io` naming the path and the OS reason (`EACCES`, `ENOTDIR`, `EISDIR`…),
 * so `up` stops with a clear message instead of a service dying with nowhere to write.
 * Synchronous: it runs once per service on the start path, where a few syscalls are cheaper
 * than the promise machinery.
 */
export function ensureLogWritable(log: LogSpec): Result<void> {
  const dir = dirname(log.path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    // A regular file where a folder should be makes mkdir say EEXIST, which misleads; the
    // open below then reports the true cause (ENOTDIR) with the full path.
    if (!isErrno(error, 'EEXIST'))
      return fail({ reason: 'io', message: `cannot create log directory ${dir}: ${describeError(error)}` });
  }
  try {
    closeSync(openSync(log.path, 'a'));
  } catch (error) {
    return fail({ reason: 'io', message: `cannot write log file ${log.path}: ${describeError(error)}` });
  }
  return ok(undefined);
}

/**
 * Copies from offset 0 until a read returns nothing, then truncates the source. The bulk is
 * copied asynchronously; the last stretch — read to EOF, write, truncate — runs without
 * yielding, so what a service writes between the copy's end and the truncation (the race
 * of copy-truncate) is limited to what it writes during one read, write and ftruncate.
 */
async function copyToEnd(src: FileHandle, target: string, mode: number): Promise<void> {
  const dst = await open(target, 'w', mode);
  try {
    const buf = Buffer.allocUnsafe(256 * 1024);
    let position = 0;
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, buf.length, position);
      if (bytesRead < buf.length) break;
      await dst.write(buf, 0, bytesRead);
      position += bytesRead;
    }
    for (;;) {
      const n = readSync(src.fd, buf, 0, buf.length, position);
      if (n === 0) break;
      writeSync(dst.fd, buf, 0, n);
      position += n;
    }
    ftruncateSync(src.fd, 0);
  } finally {
    await dst.close();
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

/** Removes `path.(keep+1)`, `path.(keep+2)`… (and their indexes) while they exist: leftovers of a larger `keep`. */
async function removeBeyond(path: string, keep: number): Promise<void> {
  for (let i = keep + 1; ; i++) {
    await unlinkIfExists(timesPath(`${path}.${i}`));
    try {
      await unlink(`${path}.${i}`);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return;
      throw error;
    }
  }
}
