/**
 * A second, real unix user for the tests whose point is about users: another local user
 * reaching the dashboard's loopback port, a manifest planted by someone else. The suite runs
 * as root in CI; the user is created once (a system user without a home or a login shell)
 * and reused. Not root: `otherUser()` returns undefined and such a test must skip, saying so.
 */
import { execFile, execFileSync } from 'node:child_process';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'uiprocs-other';

let cached: OtherUser | null | undefined;

/** The second user, created if missing; undefined when this process cannot create one. */
export function otherUser(): OtherUser | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): OtherUser | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', NAME], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', NAME], { encoding: 'utf8' }).trim());
      return { name: NAME, uid, gid };
    } catch {
      return undefined;
    }
  };
  let user = lookup();
  if (!user) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', NAME], {
        stdio: 'ignore',
      });
    } catch {
      // Another worker may have created it at the same moment: look again.
    }
    user = lookup();
  }
  cached = user ?? null;
  return user;
}

export interface AsUserResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command as the other user (its uid and gid, no supplementary groups, HOME=/tmp). */
export function runAsOther(
  user: OtherUser,
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<AsUserResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...options.env };
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd ?? '/tmp', env, uid: user.uid, gid: user.gid, timeout: options.timeoutMs ?? 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
