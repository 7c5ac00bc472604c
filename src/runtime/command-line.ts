import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';
import { AUTO_PORT_TOKEN, type Failure, fail, ok, type Result } from '../core/model.js';
import { shellScript } from '../core/shell-command.js';

/** What to execute: a file and its arguments, no shell interpretation left. */
export interface Invocation {
  file: string;
  args: string[];
  /** Whether a string command was prefixed with `exec` (the recorded PID is the server). */
  execPrefixed: boolean;
}

const NO_PORT = 'command uses $' + '{PORT} (port: auto) but no port was chosen';
/** A first word we can look up on disk: no quotes, expansions or globs to interpret. */
const PLAIN_WORD = /^[A-Za-z0-9_./+,:@%=-]+$/;

/**
 * Turns a service command into what to execute.
 *
 * A string runs under `/bin/sh -c`. Debian's sh (dash) forks the last command instead of
 * exec'ing it, so `sh -c 'streamlit run app.py'` leaves sh as the recorded PID and group
 * leader with the server as its child: the record would describe the shell, and the
 * server would outlive a plain kill of that PID. When the string is ONE simple command (no
 * list, pipe, redirection, subshell, leading assignment or shell keyword) we run
 * `exec <command>` instead, so sh replaces itself and the recorded PID is the server
 * itself. Anything else keeps the shell; stopping by process group still covers it.
 *
 * Also replaces the `port: auto` placeholder with the real port, and checks before
 * spawning that the executable and cwd exist, so a typo fails with a clear message
 * instead of a shell's exit 127 in a log file.
 */
export function prepareCommand(
  command: string | string[],
  port: number | null,
  cwd: string,
  env: Record<string, string>,
): Result<Invocation> {
  if (!isDirectory(cwd)) return fail(failed(`working directory ${cwd} does not exist`));
  const portText = port === null ? null : String(port);
  const sub = (text: string): string | null =>
    text.includes(AUTO_PORT_TOKEN)
      ? portText === null
        ? null
        : text.split(AUTO_PORT_TOKEN).join(portText)
      : text;

  if (Array.isArray(command)) {
    const argv = command.map(sub);
    if (argv.some((a) => a === null)) return fail(failed(NO_PORT));
    const [file, ...args] = argv as string[];
    if (file === undefined || file === '') return fail(failed('command is empty'));
    const found = findExecutable(file, cwd, env.PATH);
    if (!found) return fail(failed(`executable not found: ${file} (cwd ${cwd})`));
    return ok({ file, args, execPrefixed: false });
  }

  const script = sub(command);
  if (script === null) return fail(failed(NO_PORT));
  if (script.trim() === '') return fail(failed('command is empty'));
  const { script: run, head } = shellScript(script);
  if (head === undefined) return ok({ file: '/bin/sh', args: ['-c', run], execPrefixed: false });
  if (PLAIN_WORD.test(head) && !findExecutable(head, cwd, env.PATH)) {
    return fail(failed(`executable not found: ${head} (cwd ${cwd})`));
  }
  return ok({ file: '/bin/sh', args: ['-c', run], execPrefixed: true });
}

/** Resolves like execvp: a name with `/` against cwd, a bare name through PATH. */
export function findExecutable(name: string, cwd: string, path: string | undefined): string | undefined {
  const candidates = name.includes('/')
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : (path ?? '/usr/local/bin:/usr/bin:/bin')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => resolve(cwd, dir, name));
  return candidates.find(isExecutableFile);
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function failed(message: string): Failure {
  return { reason: 'service-failed', message };
}
