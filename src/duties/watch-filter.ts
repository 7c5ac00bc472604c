/**
 * Which changed files a service's `watch:` reacts to, decided from its paths and ignore
 * rules alone (source-watch.ts asks; no file is read here but the .gitignore files, once).
 *
 * - What is watched: each entry of `paths` is a file, a folder (everything under it) or a
 *   glob (picomatch, relative to the service's cwd). chokidar watches the fixed part of each
 *   glob (`config/*.toml` → `config`); files under it count only when the glob matches.
 * - What is never watched (compose's develop.watch does the same): anything inside a `.git`,
 *   `node_modules`, `.venv` or `__pycache__` folder (NEVER) — pruned, never walked, so a 50,000-file node_modules costs
 *   nothing — and what the `.gitignore` of the service's cwd and of the project folder
 *   ignore, and the entry's own `ignore` globs (gitignore syntax, relative to the cwd).
 *   Nested .gitignore files deeper in the tree are not read.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { WatchSpec } from '../core/model.js';

/**
 * Folders never walked, wherever they are: version control, installed packages, and what
 * Python writes on its own while it runs (a first import writes `__pycache__`, which would
 * otherwise restart a service that had just started).
 */
const NEVER = new Set(['.git', 'node_modules', '.venv', '__pycache__', '.pytest_cache', '.mypy_cache']);

export interface WatchFilter {
  /** Absolute folders and files to hand to the watcher. */
  roots: string[];
  /** Whether the watcher should skip `abs` (and, for a folder, all under it). */
  skip(abs: string, isDir: boolean | undefined): boolean;
  /** The path as the cause shows it: relative to the service's cwd. */
  show(abs: string): string;
}

/**
 * `never`: absolute paths skipped whatever the rules say — the state dir and the services'
 * log files, which change all the time (a `watch: [.]` would otherwise restart on every
 * log line).
 */
export function watchFilter(
  spec: WatchSpec,
  cwd: string,
  projectDir: string,
  never: readonly string[] = [],
): WatchFilter {
  const entries = spec.paths.map((p) => {
    const scan = picomatch.scan(p);
    const base = resolve(cwd, scan.base || '.');
    return { base, match: scan.isGlob ? picomatch(resolve(cwd, p), { dot: true }) : undefined };
  });
  const rules = [ruleSet(cwd, spec.ignore), ...(projectDir === cwd ? [] : [ruleSet(projectDir, [])])];
  const ignored = (abs: string, isDir: boolean | undefined): boolean =>
    rules.some((r) => r.ignores(abs, isDir));
  return {
    roots: [...new Set(entries.map((e) => e.base))],
    skip(abs, isDir) {
      if (hasNeverSegment(abs, cwd) || never.some((n) => within(abs, n))) return true;
      if (ignored(abs, isDir)) return true;
      // A folder is walked when some entry's root is it, above it or below it; a file
      // counts when an entry takes it (under a plain entry, or matched by a glob).
      if (isDir !== false && entries.some((e) => within(abs, e.base) || within(e.base, abs))) return false;
      return !entries.some((e) => within(abs, e.base) && (e.match === undefined || e.match(abs)));
    },
    show: (abs) => {
      const rel = relative(cwd, abs);
      return rel === '' ? '.' : rel;
    },
  };
}

/** One folder's ignore rules: its .gitignore (if any) and the extra globs, relative to it. */
function ruleSet(dir: string, extra: readonly string[]): { ignores(abs: string, isDir?: boolean): boolean } {
  const ig: Ignore = ignore();
  try {
    ig.add(readFileSync(join(dir, '.gitignore'), 'utf8'));
  } catch {
    // No .gitignore (or unreadable): nothing to add.
  }
  ig.add([...extra]);
  return {
    ignores(abs, isDir) {
      const rel = relative(dir, abs);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
      const posix = sep === '/' ? rel : rel.split(sep).join('/');
      if (ig.ignores(posix)) return true;
      // `tmp/` ignores only a folder; without stats (chokidar's first look) try both.
      return isDir !== false && ig.ignores(`${posix}/`);
    },
  };
}

function hasNeverSegment(abs: string, cwd: string): boolean {
  const rel = relative(cwd, abs);
  return rel.split(sep).some((segment) => NEVER.has(segment));
}

/** `path` is `dir` or inside it. */
function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
