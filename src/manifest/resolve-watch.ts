/**
 * `watch:` of a service, resolved (resolve.ts calls it for each service that has one).
 * Problems are reported through the resolver, located at the value: a path that leaves the
 * project (a watch on `~` or `/` would walk the whole disk), a glob that can match nothing
 * (an unclosed `[` or `{`), a debounce that is no duration. The action's spelling was
 * checked by the schema.
 *
 * Paths are not interpolated: they are globs, where `$` has no meaning, and a watch that
 * followed an environment variable would change with the caller's shell.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { WatchSpec } from '../core/model.js';
import type { Path, RawWatch } from './types.js';
import { normaliseSignal, parseDuration } from './units.js';
import type { ValueProblem } from './value-rules.js';

/** compose's develop.watch has no debounce; nodemon's default is 1 s, Tilt's 200 ms. */
export const DEFAULT_WATCH_DEBOUNCE_MS = 300;

export function resolveWatch(
  report: (path: Path, problem: ValueProblem) => void,
  raw: RawWatch,
  at: Path,
  cwd: string,
  projectDir: string,
): WatchSpec {
  const long = Array.isArray(raw) ? { paths: raw } : raw;
  const pathsAt = Array.isArray(raw) ? at : [...at, 'paths'];
  long.paths.forEach((p, i) => {
    const problem = globProblem(p) ?? outsideProblem(p, cwd, projectDir);
    if (problem) report([...pathsAt, i], problem);
  });
  (long.ignore ?? []).forEach((g, i) => {
    const problem = globProblem(g);
    if (problem) report([...at, 'ignore', i], problem);
  });
  let debounceMs = DEFAULT_WATCH_DEBOUNCE_MS;
  if (long.debounce !== undefined) {
    const ms = parseDuration(long.debounce);
    if (ms === null) report([...at, 'debounce'], { message: 'is not a duration' });
    else debounceMs = ms;
  }
  const action = long.action === undefined || long.action === 'restart' ? 'restart' : long.action;
  return {
    paths: [...long.paths],
    ignore: [...(long.ignore ?? [])],
    action: action === 'restart' ? 'restart' : { signal: normaliseSignal(action) as NodeJS.Signals },
    debounceMs,
  };
}

/**
 * Why `glob` can match nothing, or undefined. picomatch takes an unclosed `[` literally
 * (fine: `[abc` is a file name) but an unclosed `{` makes a pattern that matches nothing,
 * and a watch that never fires is the one mistake a user cannot see.
 */
export function globProblem(glob: string): ValueProblem | undefined {
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
  }
  if (depth > 0)
    return { message: `is not a valid glob: an unclosed "{"`, hint: 'close it ({a,b}) or escape it (\\{)' };
  try {
    if (picomatch.makeRe(glob).source === '$^')
      return { message: 'is not a valid glob: it can match nothing' };
  } catch (error) {
    return { message: `is not a valid glob: ${(error as Error).message}` };
  }
  return undefined;
}

/** A watched path (a glob's fixed part) must lie inside the project folder. */
function outsideProblem(path: string, cwd: string, projectDir: string): ValueProblem | undefined {
  const base = resolve(cwd, picomatch.scan(path).base || '.');
  const rel = relative(projectDir, base);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return undefined;
  return {
    message: `is outside the project: it is ${rel} from the manifest's folder`,
    hint: 'watch files of the project only; a watch on a home folder or / would walk the whole disk',
  };
}
