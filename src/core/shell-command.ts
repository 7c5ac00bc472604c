/**
 * What `/bin/sh -c` is given for a string command, decided without any I/O, so that `up`
 * and the exporters (systemd, compose) run the very same script.
 *
 * Debian's sh (dash) forks the last command instead of exec'ing it, so
 * `sh -c 'streamlit run app.py'` leaves sh as the recorded PID and group leader with the
 * server as its child. When the string is ONE simple command (no list, pipe, redirection,
 * subshell, leading assignment or shell keyword) it is run as `exec <command>`, so sh
 * replaces itself and the PID is the server's. Anything else keeps the shell.
 */

/** Characters that make a string more than one simple command (lists, pipes, redirection, subshells). */
const COMPOUND = /[;&|<>()`\n]/;
/** A leading `NAME=value` assignment: `exec` would try to run `NAME=value` itself. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Words `exec` cannot run: shell keywords and builtins without a binary of the same name. */
const SHELL_WORDS = new Set([
  '!',
  '{',
  '}',
  '[[',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'in',
  'function',
  'select',
  'time',
  'exec',
  'exit',
  'return',
  '.',
  'source',
  ':',
  'set',
  'unset',
  'export',
  'readonly',
  'eval',
  'cd',
  'trap',
  'wait',
  'shift',
  'ulimit',
  'umask',
  'alias',
  'unalias',
  'local',
  'break',
  'continue',
  'builtin',
  'command',
  'times',
]);
/** The first word when `script` is one simple command that `exec` can run; else undefined. */
function simpleCommandHead(script: string): string | undefined {
  const trimmed = script.trim();
  if (COMPOUND.test(trimmed) || trimmed.includes('$(')) return undefined;
  const first = trimmed.split(/[ \t]+/)[0];
  if (first === undefined || first === '' || ASSIGNMENT.test(first) || SHELL_WORDS.has(first))
    return undefined;
  return first;
}

/**
 * The script for `sh -c`: `exec`-prefixed when it is one simple command, and then `head`
 * is the word `exec` runs (for the caller's check that it exists).
 */
export function shellScript(script: string): { script: string; head?: string } {
  const head = simpleCommandHead(script);
  return head === undefined ? { script } : { script: `exec ${script.trim()}`, head };
}
