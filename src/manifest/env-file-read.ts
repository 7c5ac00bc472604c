import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../core/model.js';
import { displayPath } from './display.js';
import { parseEnvFile } from './envfile.js';
import { diagnostic, type Locator } from './locate.js';
import { type Path, showPath } from './types.js';

/** Malformed lines of one env file reported one by one; the rest are summed up in one more. */
const ENV_FILE_PROBLEMS_SHOWN = 3;

/**
 * Reads a KEY=VALUE file. `from` is where the manifest names it (null for the optional
 * `.env` beside the manifest, whose absence is fine). Malformed lines are reported in
 * the env file itself, at their line.
 */
export function readEnvFileAt(
  abs: string,
  from: { path: Path; written: string } | null,
  into: { diags: Diagnostic[]; locator: Locator; cwd: string },
): Record<string, string> | null {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    if (from) {
      const why =
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'which does not exist' : 'which cannot be read';
      into.diags.push(
        diagnostic(into.locator.at(from.path), `${showPath(from.path)} names "${from.written}", ${why}`),
      );
    }
    return null;
  }
  const { vars, problems } = parseEnvFile(text);
  if (problems.length > 0) {
    const file = displayPath(abs, into.cwd);
    // No sourceLine: the error names the file and line and says why, never the text,
    // which may be a secret (issue #20: `env_file: /etc/shadow` echoed password hashes
    // to the terminal, to --json and to the dashboard's /api/plan).
    const at = (line: number) => ({ file, line, column: 1, length: 1 });
    const hint = 'env files hold KEY=VALUE lines, # comments and blank lines';
    // A few located errors say what is wrong; a file that is not an env file at all
    // (env_file: /etc/passwd) would otherwise print one per line.
    for (const p of problems.slice(0, ENV_FILE_PROBLEMS_SHOWN)) {
      into.diags.push(
        diagnostic(at(p.line), p.message.replace(/^line \d+ /, `line ${p.line} of ${file} `), hint),
      );
    }
    const rest = problems.slice(ENV_FILE_PROBLEMS_SHOWN);
    if (rest.length > 0) {
      into.diags.push(
        diagnostic(
          at(rest[0]!.line),
          `line ${rest[0]!.line} and ${rest.length - 1} more after it are not KEY=VALUE either (${problems.length} in all); is ${file} an env file?`,
          hint,
        ),
      );
    }
  }
  return vars;
}
