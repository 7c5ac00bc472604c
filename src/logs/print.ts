import { fail, ok, type Result } from '../core/model.js';
import { describeError } from './errors.js';
import { createPrefixer } from './prefix.js';
import { tailLines } from './tail.js';

/** One service's log, as `logs` sees it. */
export interface LogSource {
  name: string;
  /** Absolute path of the log file. */
  path: string;
}

export interface PrintOptions {
  /** Lines per service (`-n`); `Infinity` for the whole file. Default {@link DEFAULT_TAIL}. */
  tail?: number;
  /** `false` for `--no-prefix`. */
  prefix: boolean;
  /** Decided by the CLI with `shouldColor`. */
  color: boolean;
  /** Receives whole lines, each ending in `\n`, possibly several per call. */
  out: (s: string) => void;
}

/** Like compose's `--tail`, but bounded by default: a week of logs is rarely what one wants. */
export const DEFAULT_TAIL = 100;

/**
 * Prints the last lines of each service's log, one service after another in the given
 * order (blocks, not interleaved by time: files carry no reliable time to merge on).
 * A missing file prints nothing — the service has not written yet. Files are read in
 * parallel and printed in order.
 *
 * An unreadable file (EACCES, EISDIR…) does not stop the others: everything readable is
 * printed, then a Failure `io` names every file that could not be read.
 */
export async function printLogs(services: readonly LogSource[], opts: PrintOptions): Promise<Result<void>> {
  const n = opts.tail ?? DEFAULT_TAIL;
  const format = createPrefixer(
    services.map((s) => s.name),
    opts,
  );
  const tails = await Promise.all(services.map((s) => readTail(s.path, n)));
  const problems: string[] = [];
  services.forEach((service, i) => {
    const tail = tails[i]!;
    if (!tail.ok) {
      problems.push(tail.error);
      return;
    }
    if (tail.value.length > 0) opts.out(formatBlock(service.name, tail.value, format));
  });
  if (problems.length > 0) return fail({ reason: 'io', message: problems.join('\n') });
  return ok(undefined);
}

/** Lines of one service as one string, so the caller's stream gets one write per block. */
export function formatBlock(
  name: string,
  lines: readonly string[],
  format: (n: string, l: string) => string,
): string {
  let text = '';
  for (const line of lines) text += `${format(name, line)}\n`;
  return text;
}

async function readTail(path: string, n: number): Promise<Result<string[], string>> {
  try {
    return ok(await tailLines(path, n));
  } catch (error) {
    return fail(`cannot read log ${path}: ${describeError(error)}`);
  }
}
