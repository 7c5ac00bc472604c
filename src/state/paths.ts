/**
 * Where uiprocs keeps its state, and the one check that makes that state trustworthy.
 *
 * Layout of `<state_dir>`:
 * ```
 * .gitignore          `*` — state never ends up in a commit
 * lock                held while a command changes state (lock.ts)
 * lock.break          short-lived: held by the one waiter breaking a dead holder's lock
 * run/<name>.json     the run record (store.ts)
 * run/<name>.pid      just the PID, for `kill $(cat …)` and other tools
 * run/<name>.port     the last port of a `port: auto` service, kept across down (port-memory.ts)
 * run/<name>.health   what watch's health checks last found for its process (health-file.ts)
 * logs/<name>.log     default log files
 * ```
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, type Result } from '../core/model.js';

export interface StatePaths {
  root: string;
  run: string;
  logs: string;
  lock: string;
  lockBreak: string;
  gitignore: string;
  /** `run/<name>.pid`; the name must have passed {@link checkServiceName}. */
  pidFile(name: string): string;
  /** `run/<name>.json`; the name must have passed {@link checkServiceName}. */
  recordFile(name: string): string;
}

let lastPaths: StatePaths | undefined;

/**
 * Remembered for the last state dir: `ps` of 50 services asked for them per record, and
 * `path.join`'s normalising, run cold, cost ~5 ms of it. Names are checked service names
 * (no `/`, no `..`), so a plain `/` joins them to the normalised `run` dir.
 */
export function statePaths(stateDir: string): StatePaths {
  if (lastPaths?.root === stateDir) return lastPaths;
  const run = join(stateDir, 'run');
  lastPaths = {
    root: stateDir,
    run,
    logs: join(stateDir, 'logs'),
    lock: join(stateDir, 'lock'),
    lockBreak: join(stateDir, 'lock.break'),
    gitignore: join(stateDir, '.gitignore'),
    pidFile: (name) => `${run}/${name}.pid`,
    recordFile: (name) => `${run}/${name}.json`,
  };
  return lastPaths;
}

/** `run/<name>.health` (health-file.ts). Rejects names that would escape `run/`. */
export function healthFilePath(stateDir: string, name: string): string {
  if (!checkServiceName(name).ok)
    throw new Error(`invalid service name for a state file: ${JSON.stringify(name)}`);
  return `${statePaths(stateDir).run}/${name}.health`;
}

/**
 * The manifest layer validates service names; this is the second fence, because a name
 * becomes a path here and `../x` or `a/b` would let a record land outside `run/`.
 */
export function checkServiceName(name: string): Result<string> {
  if (
    name === '' ||
    name.includes('/') ||
    name.includes('\0') ||
    name.includes('..') ||
    name.startsWith('.')
  ) {
    return fail({
      reason: 'state-invalid',
      message: `invalid service name for a state file: ${JSON.stringify(name)}`,
    });
  }
  return ok(name);
}

const PRIVATE_MODE = 0o700;

/**
 * Create the state dir (mode 0700, with a `.gitignore` of `*`) or check the existing one.
 *
 * The state dir decides which processes uiprocs will signal, so anyone who can write to it
 * can make uiprocs stop (or believe in) processes of their choosing. An existing dir is
 * therefore refused — `state-invalid` — when it is a symlink (it could point anywhere, and
 * be re-pointed later), is owned by another user, or grants any group/other permission.
 *
 * Why refuse a too-open dir of our own rather than chmod it: the open mode may have been
 * exploited already — records planted while it was open would still be believed after a
 * silent chmod. Only a person can decide the contents are fine, so the message says what
 * to check and the exact `chmod` to run. A dir we create ourselves is born 0700.
 */
export function ensureStateDir(stateDir: string): Result<void> {
  const paths = statePaths(stateDir);
  const created = makePrivateDir(stateDir);
  if (!created.ok) return created;
  for (const sub of [paths.run, paths.logs]) {
    const made = makePrivateDir(sub);
    if (!made.ok) return made;
  }
  return ensureGitignore(paths.gitignore);
}

export function makePrivateDir(dir: string): Result<void> {
  try {
    mkdirSync(dir, { mode: PRIVATE_MODE, recursive: false });
    // The umask may have removed bits we want (never added ones we don't); make it exact.
    chmodSync(dir, PRIVATE_MODE);
    return ok(undefined);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') {
      // A missing parent: create the ancestors normally, then this dir privately.
      try {
        mkdirSync(join(dir, '..'), { recursive: true });
      } catch (inner) {
        return fail({ reason: 'io', message: `cannot create ${dir}: ${describe(inner)}` });
      }
      return makePrivateDir(dir);
    }
    if (code !== 'EEXIST') return fail({ reason: 'io', message: `cannot create ${dir}: ${describe(error)}` });
  }
  return checkPrivateDir(dir);
}

/** The existing-dir rules of {@link ensureStateDir}. */
export function checkPrivateDir(dir: string): Result<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(dir);
  } catch (error) {
    return fail({ reason: 'io', message: `cannot inspect ${dir}: ${describe(error)}` });
  }
  if (st.isSymbolicLink()) {
    return fail({
      reason: 'state-invalid',
      message: `state dir ${dir} is a symlink; uiprocs keeps state only in a real directory (remove the link or set state_dir)`,
    });
  }
  if (!st.isDirectory()) {
    return fail({ reason: 'state-invalid', message: `state dir ${dir} exists but is not a directory` });
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    return fail({
      reason: 'state-invalid',
      message: `state dir ${dir} is owned by uid ${st.uid}, not by you (uid ${uid}); refusing to trust or change it`,
    });
  }
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return fail({
      reason: 'state-invalid',
      message:
        `state dir ${dir} has mode ${mode.toString(8).padStart(4, '0')}: other users could plant records that make ` +
        `uiprocs signal their choice of processes. Check its contents, then run: chmod 700 ${dir}`,
    });
  }
  return ok(undefined);
}

function ensureGitignore(path: string): Result<void> {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return ok(undefined); // the user may have edited it: leave it
    return fail({ reason: 'io', message: `cannot write ${path}: ${describe(error)}` });
  }
  try {
    writeSync(fd, '# written by uiprocs: nothing in here belongs in version control\n*\n');
    return ok(undefined);
  } catch (error) {
    return fail({ reason: 'io', message: `cannot write ${path}: ${describe(error)}` });
  } finally {
    closeSync(fd);
  }
}

/** `ENOENT`, `EEXIST`, … or undefined when the error is not a Node system error. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
