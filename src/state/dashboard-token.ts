/**
 * The dashboard's session token, kept in `<state_dir>/dashboard.token` (mode 0600, inside the
 * 0700 state dir): the out-of-band channel by which the token reaches the dashboard's owner
 * and nobody else. Loopback is shared by every local user, so the token, not the address,
 * is what makes a request the owner's (dashboard/security.ts).
 *
 * - One token per project, kept across dashboard runs: the supervisor's dashboard, a
 *   foreground `uiprocs dashboard` and the URL `up`/`ps` print all agree, and a page left
 *   open keeps working when the supervisor is replaced. `rm <state_dir>/dashboard.token`
 *   revokes it; the next dashboard makes a new one.
 * - Created with O_EXCL (`wx`): two processes creating it at once agree on the first one
 *   written. Read without following a symlink, and only when it is a 64-hex-digit value
 *   that only its owner can read; anything else is replaced, never believed.
 */
import { closeSync, fstatSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { fail, ok, type Result } from '../core/model.js';
import { readFileNoFollow, tempPathFor } from './atomic-file.js';
import { describe, errnoCode } from './paths.js';

const TOKEN = /^[0-9a-f]{64}$/;

export function dashboardTokenPath(stateDir: string): string {
  return `${stateDir}/dashboard.token`;
}

/** 32 random bytes, hex. node:crypto is loaded here only: `ps` reads a token, it rarely makes one. */
export function newToken(): string {
  const { randomBytes } = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
  return randomBytes(32).toString('hex');
}

/** The token in the file, or undefined when there is none to believe (missing, malformed, too open). */
export function readDashboardToken(stateDir: string): string | undefined {
  const path = dashboardTokenPath(stateDir);
  const read = readFileNoFollow(path);
  if (read.kind !== 'file') return undefined;
  const value = read.text.trim();
  if (!TOKEN.test(value)) return undefined;
  // A file others can read (or one not ours) is a token others may know.
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if ((st.mode & 0o077) !== 0 || (uid !== undefined && st.uid !== uid) || st.ino !== read.ino)
      return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return value;
}

/**
 * The project's token: the one in the file, else a new one written there. The state dir
 * must exist (ensureStateDir); a failure to write is an `io` failure, and the caller may
 * still serve with an in-memory token (its URL is then the only way in).
 *
 * A new token is written whole to a temp file, then link(2)ed to its name: link never
 * replaces, so of two processes creating it at once one wins and the other reads the
 * winner's, and nobody ever reads a half-written token.
 */
export function dashboardToken(stateDir: string): Result<string> {
  const existing = readDashboardToken(stateDir);
  if (existing !== undefined) return ok(existing);
  const path = dashboardTokenPath(stateDir);
  const token = newToken();
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
      return ok(token);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    // Someone wrote it first (their token wins), or what is there cannot be believed.
    const raced = readDashboardToken(stateDir);
    if (raced !== undefined) return ok(raced);
    renameSync(temp, path);
    return ok(token);
  } catch (error) {
    return fail({ reason: 'io', message: `cannot write ${path}: ${describe(error)}` });
  } finally {
    unlinkQuiet(temp);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // renamed or never made
  }
}

/** The project's token for a URL to print, or undefined when it cannot be had (then the URL goes bare). */
export function tokenForUrl(stateDir: string): string | undefined {
  const token = dashboardToken(stateDir);
  return token.ok ? token.value : undefined;
}
