/**
 * How a Failure reads on stderr. Manifest problems print like a compiler (file:line:col,
 * the source line, a marker), an unknown target as `ui-procs.yaml: no service or group
 * named …`; everything else is one `uiprocs: …` sentence plus details.
 */

import { createColors } from '../core/ansi.js';
import type { Failure } from '../core/model.js';
import { formatDiagnostics } from './diagnostic.js';

export function formatFailure(failure: Failure, opts: { color: boolean; cwd: string }): string {
  const c = createColors(opts.color);
  switch (failure.reason) {
    case 'manifest-invalid':
      // Diagnostics are joined without a final newline; a terminal prompt must not glue onto the last one.
      return `${formatDiagnostics(failure.diagnostics, { color: opts.color, cwd: opts.cwd })}\n`;
    case 'unknown-target':
      if (failure.diagnostics && failure.diagnostics.length > 0)
        return `${formatDiagnostics(failure.diagnostics, { color: opts.color, cwd: opts.cwd })}\n`;
      // `ui-procs.yaml: no service or group named …` names its file like a diagnostic; its
      // indented lines are hints.
      return failure.message
        .split('\n')
        .map((line) => `${line.startsWith('  ') ? c.cyan(line) : c.red(line)}\n`)
        .join('');
    case 'service-failed': {
      const details = (failure.details ?? []).map((line) => `  ${c.dim('│')} ${line}\n`).join('');
      return `${c.red('uiprocs:')} ${failure.message}\n${details}`;
    }
    default:
      return `${c.red('uiprocs:')} ${failure.message}\n`;
  }
}

/**
 * The warning of `ps` and `down` working from the run records because the manifest cannot
 * be used: what they did instead, then the manifest's problems, located as always.
 */
export function formatRecordsOnlyWarning(
  failure: Failure,
  /** The state dir, as the user should see it. */
  stateDir: string,
  opts: { color: boolean; cwd: string },
): string {
  const c = createColors(opts.color);
  const head = `${c.yellow('warning:')} the manifest cannot be used; working from the run records in ${stateDir} alone\n`;
  return head + formatFailure(failure, opts);
}
