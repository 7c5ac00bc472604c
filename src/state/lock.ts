/**
 * The state lock: one file, `<state_dir>/lock`, held by the one command that is changing
 * state, so two `up`s (or `up` beside `watch`) cannot start a service twice.
 *
 * Protocol (no daemon, so the file itself must say who holds it and whether they still can):
 * 1. Acquire: write our identity {pid, startTime, bootId, command, acquiredAt, token} to a
 *    private temp file, then link(2) it to `lock`. link fails with EEXIST when the lock
 *    exists, exactly like open(…, O_EXCL) (`wx`), but the lock appears with its content
 *    complete, so a reader never sees a half-written lock and mistakes it for garbage.
 * 2. Held by a live holder (pid alive, not a zombie, same start time and boot id): poll
 *    every 25–50 ms; after 1 s call `onWait` once so the CLI can say who it waits for.
 * 3. Held by a dead holder, a holder whose PID now belongs to another process, or a garbage
 *    file: break it. Two waiters may both see the dead holder, and if both unlinked, the
 *    second could unlink the lock the first had just taken. So breaking takes a second,
 *    short-lived lock, `lock.break` (same link protocol); only its holder re-reads `lock`
 *    and unlinks it if it is *still* breakable. A breaker left by a dead process is broken
 *    the same way.
 * 4. Release: unlink `lock` only if it still carries our token; idempotent; also done on
 *    process exit.
 */
import { linkSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { fail, ok, type Result } from '../core/model.js';
import { isLive, type System } from '../runtime/system.js';
import { readFileNoFollow, STALE_TEMP_MS, tempPathFor, unlinkIfSame, unlinkQuiet } from './atomic-file.js';
import { describe, errnoCode, statePaths } from './paths.js';
import { isPid } from './record-shape.js';

/** What a lock (or breaker) file says about its holder. */
export interface LockHolder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat, so a reused PID is not mistaken for the holder. */
  startTime: string;
  bootId: string;
  /** e.g. `uiprocs up`, for "waiting for the lock held by pid N (uiprocs up)". */
  command: string;
  /** ISO-8601. */
  acquiredAt: string;
  /** Unique per acquisition: release removes only its own lock, even within one process. */
  token: string;
}

export interface LockWaitInfo {
  pid: number;
  command: string;
  /** When the holder took the lock (ISO-8601). */
  since: string;
}

export interface AcquireLockOptions {
  /** What this process is doing, shown to whoever waits for us. */
  command: string;
  clock: Clock;
  /** Process identity (our own start time, and the holder's liveness). */
  system: System;
  /** Called once, after {@link WAIT_NOTICE_MS} of waiting for a live holder. */
  onWait?: (holder: LockWaitInfo) => void;
  /** Give up after this long (default 60 s) with Failure `lock-failed`. */
  timeoutMs?: number;
  /**
   * Called when a lock that could not be believed (dead holder, reused PID, garbage) was
   * removed, with a sentence saying whose it was: a takeover is reported, never silent.
   */
  onBreak?: (what: string) => void;
}

/** Releases the lock; calling it again does nothing. */
export type Release = () => void;

export const WAIT_NOTICE_MS = 1_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
const POLL_MIN_MS = 25;
const POLL_JITTER_MS = 25;
/**
 * A garbage lock file is broken only after it stayed the same garbage this long: our own
 * locks are never partial (link), but another tool writing one with plain `wx` has a
 * moment where the file is empty.
 */
export const GARBAGE_GRACE_MS = 250;

type LockFileState =
  | { kind: 'missing' }
  | { kind: 'held'; holder: LockHolder; ino: number; dev: number; text: string }
  | { kind: 'garbage'; ino: number; dev: number; text: string };

/**
 * Take the state lock, waiting for a live holder and taking over from a dead one. The
 * state dir must exist (ensureStateDir).
 */
export async function acquireLock(stateDir: string, options: AcquireLockOptions): Promise<Result<Release>> {
  const me = ownIdentity(options.system, options.command);
  if (!me.ok) return me;
  const paths = statePaths(stateDir);
  // One temp file per acquisition, linked again on every poll: waiting costs no writes.
  const temp = writeTemp(paths.lock, me.value);
  if (!temp.ok) return temp;
  try {
    const acquired = await pollForLock(stateDir, temp.value, me.value, options);
    if (acquired.ok) sweepOldTemps(stateDir, options.system);
    return acquired;
  } finally {
    unlinkQuiet(temp.value);
  }
}

async function pollForLock(
  stateDir: string,
  tempFile: string,
  me: LockHolder,
  options: AcquireLockOptions,
): Promise<Result<Release>> {
  const { clock, system } = options;
  const paths = statePaths(stateDir);
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const started = clock.now();
  let noticed = false;
  let garbage: { ino: number; text: string; since: number } | undefined;

  for (;;) {
    const created = linkExclusive(tempFile, paths.lock);
    if (!created.ok) return created;
    if (created.value) return ok(makeRelease(paths.lock, me.token));

    const seen = readLockFile(paths.lock);
    if (seen.kind === 'missing') continue; // released between our link and our read: try again now
    let breakable: boolean;
    if (seen.kind === 'held') {
      garbage = undefined;
      breakable = !holderAlive(system, me.bootId, seen.holder);
    } else {
      if (garbage === undefined || garbage.ino !== seen.ino || garbage.text !== seen.text) {
        garbage = { ino: seen.ino, text: seen.text, since: clock.now() };
      }
      breakable = clock.now() - garbage.since >= GARBAGE_GRACE_MS;
    }
    if (breakable) {
      const broke = breakLock(paths.lock, paths.lockBreak, me, system, seen, () =>
        options.onBreak?.(brokenMessage(paths.lock, seen)),
      );
      if (!broke.ok) return broke;
      if (broke.value) continue;
    }

    const waited = clock.now() - started;
    if (waited >= timeoutMs) {
      return fail({ reason: 'lock-failed', message: timeoutMessage(paths.lock, seen, timeoutMs) });
    }
    if (!noticed && waited >= WAIT_NOTICE_MS && seen.kind === 'held' && !breakable) {
      noticed = true;
      options.onWait?.({ pid: seen.holder.pid, command: seen.holder.command, since: seen.holder.acquiredAt });
    }
    await clock.sleep(POLL_MIN_MS + Math.floor(Math.random() * POLL_JITTER_MS));
  }
}

/** Read and judge a lock (or breaker) file; never follows a symlink. */
export function readLockFile(path: string): LockFileState {
  const read = readFileNoFollow(path);
  if (read.kind === 'missing') return read;
  if (read.kind !== 'file') return { kind: 'garbage', ino: -1, dev: -1, text: read.kind };
  const holder = parseHolder(read.text);
  if (holder === undefined) return { kind: 'garbage', ino: read.ino, dev: read.dev, text: read.text };
  return { kind: 'held', holder, ino: read.ino, dev: read.dev, text: read.text };
}

function parseHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isPid(v.pid)) return undefined;
  for (const key of ['startTime', 'bootId', 'command', 'acquiredAt', 'token'] as const) {
    if (typeof v[key] !== 'string') return undefined;
  }
  return v as unknown as LockHolder;
}

/** The holder is who it claims only if its PID is live with the same start time, this boot. */
export function holderAlive(
  system: System,
  bootId: string,
  holder: Pick<LockHolder, 'pid' | 'startTime' | 'bootId'>,
): boolean {
  if (holder.bootId !== bootId) return false;
  const info = system.proc(holder.pid);
  return isLive(info) && info.startTime === holder.startTime;
}

function ownIdentity(system: System, command: string): Result<LockHolder> {
  const info = system.proc(process.pid);
  if (info === undefined) {
    return fail({
      reason: 'lock-failed',
      message: `cannot read this process's own start time (pid ${process.pid})`,
    });
  }
  return ok({
    pid: process.pid,
    startTime: info.startTime,
    bootId: system.bootId(),
    command,
    acquiredAt: new Date().toISOString(),
    token: lockToken(),
  });
}

/**
 * Create `path` holding `holder`, atomically and exclusively: ok(true) when created,
 * ok(false) when it already exists.
 */
function createExclusive(path: string, holder: LockHolder): Result<boolean> {
  const temp = writeTemp(path, holder);
  if (!temp.ok) return temp;
  try {
    return linkExclusive(temp.value, path);
  } finally {
    unlinkQuiet(temp.value);
  }
}

/**
 * The lock's content in a private temp file beside it, ready to be linked. No fsync: a lock
 * means nothing after a crash of the machine (the boot id changes), and a waiter re-links
 * the same temp file on every poll rather than writing one each time.
 */
function writeTemp(path: string, holder: LockHolder): Result<string> {
  const temp = tempPathFor(path);
  try {
    writeFileSync(temp, `${JSON.stringify(holder)}\n`, { flag: 'wx', mode: 0o600 });
    return ok(temp);
  } catch (error) {
    unlinkQuiet(temp);
    return fail({ reason: 'lock-failed', message: `cannot write ${temp}: ${describe(error)}` });
  }
}

function linkExclusive(temp: string, path: string): Result<boolean> {
  try {
    linkSync(temp, path);
    return ok(true);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return ok(false);
    return fail({ reason: 'lock-failed', message: `cannot create ${path}: ${describe(error)}` });
  }
}

const LOCK_TEMP = /^\.lock(?:\.break)?\.([0-9]+)\.[0-9]+\.[0-9a-f]+\.tmp$/;

/**
 * Remove temp files of waiters that died mid-wait. A live waiter keeps its temp file for
 * as long as it waits (minutes, maybe), so age alone is not enough: the writer's PID, in
 * the name, must be gone too.
 */
function sweepOldTemps(stateDir: string, system: System): void {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = LOCK_TEMP.exec(name);
    if (match === null || isLive(system.proc(Number(match[1])))) continue;
    const path = join(stateDir, name);
    try {
      const st = lstatSync(path);
      if (Date.now() - st.mtimeMs > STALE_TEMP_MS) unlinkIfSame(path, st.ino, st.dev);
    } catch {
      // Gone meanwhile.
    }
  }
}

/**
 * Under `lock.break`, re-read the lock and unlink it only if it is still the breakable file
 * we saw. ok(true): the lock changed or is gone, try to acquire at once; ok(false): someone
 * else is breaking it or it came alive, wait.
 */
function breakLock(
  lockPath: string,
  breakPath: string,
  me: LockHolder,
  system: System,
  seen: Exclude<LockFileState, { kind: 'missing' }>,
  onBroken: () => void = () => {},
): Result<boolean> {
  const breaker = takeBreaker(breakPath, me, system);
  if (!breaker.ok) return breaker;
  if (!breaker.value) return ok(false);
  try {
    const again = readLockFile(lockPath);
    if (again.kind === 'missing') return ok(true);
    if (again.ino !== seen.ino || again.text !== seen.text) return ok(true); // replaced: judge afresh
    if (again.kind === 'held' && holderAlive(system, me.bootId, again.holder)) return ok(false);
    if (again.ino === -1) return ok(false); // a directory or unreadable: not ours to remove
    if (unlinkIfSame(lockPath, again.ino, again.dev)) onBroken();
    return ok(true);
  } finally {
    const mine = readLockFile(breakPath);
    if (mine.kind === 'held' && mine.holder.token === me.token) unlinkIfSame(breakPath, mine.ino, mine.dev);
  }
}

/** Take `lock.break`, first breaking one left by a dead process. ok(false): a live breaker is at work. */
function takeBreaker(breakPath: string, me: LockHolder, system: System): Result<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const created = createExclusive(breakPath, me);
    if (!created.ok || created.value) return created;
    const seen = readLockFile(breakPath);
    if (seen.kind === 'missing') continue;
    if (seen.kind === 'held' && holderAlive(system, me.bootId, seen.holder)) return ok(false);
    if (seen.kind === 'garbage' && !garbageBreakerIsOld(breakPath)) return ok(false);
    if (seen.ino === -1) return ok(false);
    // Re-read right before the unlink: content and inode must still be the dead breaker's.
    const again = readLockFile(breakPath);
    if (again.kind === 'missing') continue;
    if (again.ino !== seen.ino || again.text !== seen.text) return ok(false);
    unlinkIfSame(breakPath, again.ino, again.dev);
  }
  return ok(false);
}

/** Breakers are created whole (link); garbage there is foreign, so give it a second before removing it. */
function garbageBreakerIsOld(path: string): boolean {
  const read = readFileNoFollow(path);
  return read.kind === 'file' && Date.now() - read.mtimeMs > 1_000;
}

function makeRelease(lockPath: string, token: string): Release {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const current = readLockFile(lockPath);
    if (current.kind === 'held' && current.holder.token === token) {
      unlinkIfSame(lockPath, current.ino, current.dev);
    }
  };
  // A command that ends without releasing (an uncaught bug, process.exit) must not leave
  // others waiting for a dead holder; 'exit' handlers may only do synchronous work, and do.
  process.on('exit', release);
  return release;
}

function brokenMessage(lockPath: string, seen: Exclude<LockFileState, { kind: 'missing' }>): string {
  if (seen.kind === 'held') {
    const h = seen.holder;
    return `${lockPath}: took over the state lock left by pid ${h.pid} (${h.command}), which is no longer running`;
  }
  return `${lockPath}: removed an unreadable lock file (${JSON.stringify(seen.text.slice(0, 40))})`;
}

function timeoutMessage(
  lockPath: string,
  seen: Exclude<LockFileState, { kind: 'missing' }>,
  timeoutMs: number,
): string {
  const secs = `${Math.round(timeoutMs / 100) / 10}s`;
  if (seen.kind === 'held') {
    const h = seen.holder;
    return (
      `gave up after ${secs} waiting for the state lock ${lockPath}, held by pid ${h.pid} (${h.command}) ` +
      `since ${h.acquiredAt}; if that process is stuck, stop it and try again`
    );
  }
  return `gave up after ${secs} waiting for the state lock ${lockPath}: it is not a lock file uiprocs can read or remove`;
}

/**
 * Tells this acquisition from any other, ours or another process's: release removes the
 * lock only if it still carries it. Not a secret (the lock sits in a 0700 dir and names its
 * holder anyway), so no node:crypto, whose load alone cost ~7 ms of every command.
 */
function lockToken(): string {
  const random = () =>
    Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return `${random()}${random()}`;
}
