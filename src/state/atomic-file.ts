/**
 * The file primitives state is built on: whole-file atomic writes, reads that never follow
 * a symlink, and removal that only removes the file that was inspected.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fail, ok, type Result } from '../core/model.js';
import { readToEnd } from '../core/read-to-end.js';
import { describe, errnoCode } from './paths.js';

/** Temp files start with a dot and end like this, so listings skip them and stale ones can be found. */
export const TEMP_SUFFIX = '.tmp';

/**
 * A temp file this old belongs to a writer that crashed: a write takes milliseconds. The
 * margin keeps a sweeper from removing the temp file of a writer that is merely slow.
 */
export const STALE_TEMP_MS = 60_000;

let sequence = 0;

/**
 * A temp name beside `path` (same dir, so the rename stays on one filesystem), unique to
 * this process and write. It need not be unguessable: it is opened with O_EXCL, which
 * never follows or reuses what is already there. (So no `node:crypto`, ≈6 ms of every
 * `ps`.)
 */
export function tempPathFor(path: string): string {
  sequence += 1;
  const salt = Math.floor(Math.random() * 0x100000000).toString(16);
  return join(dirname(path), `.${basename(path)}.${process.pid}.${sequence}.${salt}${TEMP_SUFFIX}`);
}

/**
 * Replace `path` with `content` so that a reader sees either the old or the new file, never
 * a torn one: write a fresh temp file (`wx`: O_EXCL never opens an existing file or follows
 * a planted symlink), then rename it over `path`. rename(2) replaces a symlink at
 * `path` rather than writing through it.
 *
 * No fsync, on purpose: atomicity against other processes and against a killed CLI comes
 * from rename alone (the page cache survives a crashed process). fsync would only matter
 * after an OS crash, and then the machine reboots, the boot id changes, and every record
 * is stale whatever its bytes; a torn file is reported and removed like any garbage.
 * It cost 2–10 ms a write here: half a second for an `up` of 50 services.
 */
export function writeFileAtomic(path: string, content: string): Result<void> {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, content);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    return ok(undefined);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    return fail({ reason: 'io', message: `cannot write ${path}: ${describe(error)}` });
  }
}

export type SafeRead =
  | { kind: 'file'; text: string; ino: number; dev: number; mtimeMs: number }
  | { kind: 'missing' }
  | { kind: 'symlink' }
  | { kind: 'not-a-file' }
  | { kind: 'error'; message: string };

/**
 * Read a regular file without following a symlink: O_NOFOLLOW makes the open itself refuse
 * a link, so there is no window between a check and the read. The inode is returned so a
 * later removal can make sure it removes this very file.
 */
export function readFileNoFollow(path: string): SafeRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'symlink' };
    return { kind: 'error', message: describe(error) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'not-a-file' };
    return {
      kind: 'file',
      // Room for one byte more than the fstat said: a file that grew since is still read whole.
      text: readToEnd(fd, Buffer.allocUnsafe(st.size + 1)).toString('utf8'),
      ino: st.ino,
      dev: st.dev,
      mtimeMs: st.mtimeMs,
    };
  } catch (error) {
    return { kind: 'error', message: describe(error) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Unlink `path` only if it is still the file identified by `ino`/`dev` (as read earlier).
 * Unix has no conditional unlink, so a tiny window remains between the lstat and the
 * unlink; the check still turns "a writer replaced it while we looked" from a likely race
 * into a negligible one. Returns whether the file was removed.
 */
export function unlinkIfSame(path: string, ino: number, dev: number): boolean {
  try {
    const st = lstatSync(path);
    if (st.ino !== ino || st.dev !== dev) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Unlink a path that is a symlink, never its target; false if it is gone or no longer a link. */
export function unlinkSymlink(path: string): boolean {
  try {
    if (!lstatSync(path).isSymbolicLink()) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** unlink that treats "already gone" as success. */
export function unlinkQuiet(path: string): Result<void> {
  try {
    unlinkSync(path);
    return ok(undefined);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return ok(undefined);
    return fail({ reason: 'io', message: `cannot remove ${path}: ${describe(error)}` });
  }
}
