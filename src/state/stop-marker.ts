/**
 * "Stopped on purpose" markers: how an explicit `uiprocs down web`, run in another
 * terminal, tells a running `uiprocs watch` not to resurrect `web`.
 *
 * There is no daemon and no socket between the two commands; the state dir is their only
 * shared medium. The contract:
 *
 * - `down` calls {@link markStopped} for each service it is about to stop, *before*
 *   signalling it, so watch can never observe "record gone / process dead" without the
 *   marker already in place.
 * - Anything that starts a service on request (`up`, `restart`, a reconcile that starts it
 *   because a manifest edit asks for it) calls {@link clearStopped} before starting it.
 * - The liveness loop's observe reports a service whose marker exists as `stopped` and
 *   never restarts it; a live record that turns stale *without* a marker is a crash.
 *
 * Layout: `<state_dir>/run/<name>.stopped`, beside the run record. The content (time and
 * pid of the writer) is only for a person looking at the dir; existence is the signal.
 */
import { closeSync, constants, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { ok, type Result } from '../core/model.js';
import { writeFileAtomic } from './atomic-file.js';
import { checkServiceName, statePaths } from './paths.js';

/** `<stateDir>/run/<name>.stopped`. Rejects names that would escape `run/`. */
export function stopMarkerPath(stateDir: string, name: string): string {
  const checked = checkServiceName(name);
  if (!checked.ok) throw new Error(`invalid service name for a state file: ${JSON.stringify(name)}`);
  return `${statePaths(stateDir).run}/${name}.stopped`;
}

/*
 * Synchronous on purpose: these are one small file each, and `down` of 50 services waited
 * up to 250 ms for 50 markers queued through libuv's four-thread pool before the first
 * signals could go out.
 *
 * Written in place (open with O_NOFOLLOW, write, close), not as a temp file renamed over
 * it: existence is the signal and the content is only for a person, so a torn write costs
 * nothing, and the rename's extra directory operations were half of the ~11 ms that a
 * `down` of 50 spent on its markers before its first signal. Anything but a plain file or
 * nothing in its place (a symlink, a FIFO without a reader, a missing `run/`) makes the
 * open fail; then the marker is written like a run record, temp file + rename, which
 * replaces what was there and never writes through it.
 */

/** Record that `name` was stopped on purpose. Creates `run/` (mode 0700) if needed. */
export function markStopped(stateDir: string, name: string): Result<void> {
  const file = stopMarkerPath(stateDir, name);
  const text = `${JSON.stringify({ stoppedAt: new Date().toISOString(), by: process.pid })}\n`;
  if (writeInPlace(file, text)) return ok(undefined);
  mkdirSync(statePaths(stateDir).run, { recursive: true, mode: 0o700 });
  return writeFileAtomic(file, text);
}

function writeInPlace(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, IN_PLACE_FLAGS, 0o600);
  } catch {
    return false;
  }
  try {
    writeSync(fd, text);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

const IN_PLACE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Forget the marker: `name` is wanted again. No error when there is none. */
export function clearStopped(stateDir: string, name: string): void {
  rmSync(stopMarkerPath(stateDir, name), { force: true });
}

/** Whether `name` carries a stop marker. */
export function wasStopped(stateDir: string, name: string): boolean {
  try {
    statSync(stopMarkerPath(stateDir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
