/**
 * Which file a service's command runs. `uiprocs up` finds a bare program name (`flask`)
 * on the PATH it passes the service: the manifest's `env: PATH`, else the caller's. A
 * systemd unit would look it up on systemd's own PATH and could run another file (Debian's
 * `/usr/bin/flask` 2.2 instead of the venv's 3.1), so the export resolves the name the
 * way `up` does and writes that file.
 *
 * The export itself stays pure: it is handed a {@link ResolveExecutable} and calls it.
 * The CLI passes {@link pathResolver} (this machine's PATH) or, for `--check`, the
 * resolutions a previous export recorded; tests pass a fixed table.
 */
import type { Desired, ServiceSpec } from '../core/model.js';
import { AUTO_PORT_TOKEN } from '../core/model.js';
import { shellScript } from '../core/shell-command.js';
import { findExecutable } from '../runtime/command-line.js';
import { pathRewriter } from './relocate.js';

/**
 * The absolute path on the target host of `program` as service `s` runs it, or null when
 * it is not found (the unit then keeps the name as written). `s` is the service as the
 * manifest resolved it on this machine (its cwd and env are this checkout's).
 */
export type ResolveExecutable = (s: ServiceSpec, program: string) => string | null;

/** A name the shell or `execvp` would look up on PATH: plain, without a `/`. */
const PATH_NAME = /^[A-Za-z0-9_.+,:@%=-]+$/;

/**
 * The program name a service's command looks up on PATH, or null when there is none to
 * look up: a path (`./run.sh`, `/usr/bin/python3`), or a shell script that is more than
 * one simple command (its programs are the shell's business).
 */
export function lookedUpProgram(s: ServiceSpec): string | null {
  const head = typeof s.command === 'string' ? shellScript(s.command).head : s.command[0];
  if (head === undefined || !PATH_NAME.test(head) || head.includes(AUTO_PORT_TOKEN)) return null;
  return head;
}

/**
 * Resolves on this machine as `uiprocs up` would (the manifest's PATH, else `env.PATH`;
 * relative PATH entries against the service's cwd), then moves a file inside the project
 * folder to where the project lives on the target host (`.venv/bin/flask` moves with it).
 */
export function pathResolver(
  desired: Desired,
  env: Record<string, string | undefined>,
  targetProjectDir: string,
): ResolveExecutable {
  const rewrite = pathRewriter(desired.projectDir, targetProjectDir);
  return (s, program) => {
    const found = findExecutable(program, s.cwd, s.env.PATH ?? env.PATH);
    return found === undefined ? null : rewrite(found);
  };
}
