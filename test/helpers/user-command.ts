/**
 * Runs a command as a user's shell would, not as a part of the suite around it: make runs
 * as a top-level make even when the suite runs under `make test` (as CI does; a sub-make
 * prints "Entering directory" lines and inherits the parent's flags), and npm does not
 * inherit the `npm test` around the suite (npm_* variables name its prefix and config).
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runAsUser(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const base: Record<string, string | undefined> = { ...process.env, ...env };
  for (const key of Object.keys(base)) {
    if (/^(MAKELEVEL|MAKEFLAGS|MFLAGS|MAKEOVERRIDES)$|^npm_/i.test(key)) delete base[key];
  }
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: base, timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
