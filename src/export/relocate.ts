/**
 * Moving a resolved manifest to where the exported files will run it. The manifest
 * resolves every path against the checkout it was read from (`/home/ann/ocr-ui/app`), so
 * an export written from those paths holds only in that checkout: `--check` on a CI runner
 * or a colleague's clone would call every file stale. Each format instead says where the
 * project lives for its engine: systemd at `--project-dir` on the target host, compose at
 * a fixed folder inside the container; this module rewrites every path under the
 * project's folder to that place. Paths outside it (`/usr/bin`, `/var/log/app.log`) are
 * left as they are: nothing says where they would move.
 *
 * Pure: text in, text out.
 */
import type { Desired } from '../core/model.js';

/** Characters that continue a path's name: a match must not end (or begin) inside one. */
const NAME_CHAR = String.raw`[\w.-]`;

/**
 * A function that rewrites every occurrence of the folder `from` (as a whole path: itself
 * or followed by `/…`, never `/home/ann/app` inside `/home/ann/app-old`) to `to`, in any
 * text: commands, env values, PATH lists, `append:` log specs.
 */
export function pathRewriter(from: string, to: string): (text: string) => string {
  if (from === to || from === '/') return (text) => text;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?<!${NAME_CHAR})${escaped}(?!${NAME_CHAR})`, 'g');
  return (text) => (text.includes(from) ? text.replace(pattern, () => to) : text);
}

/** The same manifest with the project folder at `to`: every string of it rewritten. */
export function relocate(desired: Desired, to: string): Desired {
  const rewrite = pathRewriter(desired.projectDir, to);
  return mapStrings(desired, rewrite);
}

/** Every string value of plain data (objects, arrays) mapped; keys are names and stay. */
function mapStrings<T>(value: T, f: (s: string) => string): T {
  if (typeof value === 'string') return f(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)])) as T;
  }
  return value;
}
