/**
 * Prints manifest diagnostics like a compiler (after wireit's `src/error.ts`):
 *
 *     ui-procs.yaml:12:5: services.inference.port must be an integer from 1 to 65535 or "auto"
 *       12 |     port: 70000
 *          |           ^~~~~
 *       did you mean …                        (only when there is a hint)
 *
 * Pure: the Diagnostic carries the source line, so printing needs no file access.
 */
import { isAbsolute, relative } from 'node:path';
import { type Colors, createColors } from '../core/ansi.js';
import type { Diagnostic } from '../core/model.js';

export interface FormatOptions {
  color: boolean;
  /** Show paths relative to this folder when inside it (default: process.cwd()). */
  cwd?: string;
}

export function formatDiagnostics(diags: readonly Diagnostic[], opts: FormatOptions): string {
  const c = createColors(opts.color);
  const cwd = opts.cwd ?? process.cwd();
  return diags.map((d) => formatOne(d, c, cwd)).join('\n');
}

function shownFile(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function formatOne(d: Diagnostic, c: Colors, cwd: string): string {
  const lines = [`${c.bold(`${shownFile(d.file, cwd)}:${d.line}:${d.column}`)}: ${c.red(d.message)}`];
  if (d.sourceLine !== undefined) {
    const num = String(d.line);
    const gutter = ' '.repeat(num.length);
    // Keep tabs from the source line under the marker, so the caret lines up in any tab width.
    const pad = d.sourceLine.slice(0, d.column - 1).replace(/[^\t]/g, ' ');
    const marker = `^${'~'.repeat(Math.max(0, d.length - 1))}`;
    lines.push(`  ${c.dim(`${num} |`)} ${d.sourceLine}`);
    lines.push(`  ${c.dim(`${gutter} |`)} ${pad}${c.red(marker)}`);
  }
  if (d.hint !== undefined) lines.push(`  ${c.cyan(d.hint)}`);
  return lines.join('\n');
}
