/**
 * `logs -t` / `--since` / `--until` / `--json`: every service's lines merged in the order
 * they were written (timed-read.ts), printed with their times or as JSON lines.
 *
 * ```
 * api | 2026-12-07T12:00:00.123Z listening on 8000
 * web | ~2026-12-07T12:00:00.400Z compiled       (~: written while nothing stamped; at the latest then)
 * {"time":"2026-12-07T12:00:00.123Z","service":"api","stream":"stderr","text":"listening on 8000"}
 * ```
 */
import { fail, ok, type Result } from '../core/model.js';
import { describeError } from './errors.js';
import { createPrefixer, type LineFormatter } from './prefix.js';
import type { LogSource } from './print.js';
import { readTimedLines, type TimedLine } from './timed-read.js';

export interface TimedSource extends LogSource {
  keep: number;
}

export interface TimedPrintOptions {
  tail: number;
  since?: number;
  until?: number;
  /** Print times before each line's text (`-t`). */
  timestamps: boolean;
  /** One JSON object per line instead of text. */
  json: boolean;
  prefix: boolean;
  color: boolean;
  out: (s: string) => void;
}

/**
 * Lines of several services merged by time: a k-way merge, so each service's own order is
 * kept whatever its times say, and ties go to the service listed first. O(lines × services).
 */
export function mergeByTime(lists: readonly TimedLine[][]): TimedLine[] {
  const heads = lists.map(() => 0);
  const out: TimedLine[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const line = lists[i]![heads[i]!];
      if (line !== undefined && (best < 0 || line.at < lists[best]![heads[best]!]!.at)) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best]![heads[best]!]!);
    heads[best]!++;
  }
}

/** How one timed line prints, as text or JSON. */
export function timedFormatter(
  names: readonly string[],
  opts: Pick<TimedPrintOptions, 'timestamps' | 'json' | 'prefix' | 'color'>,
): (line: TimedLine) => string {
  if (opts.json) return (l) => JSON.stringify(jsonLine(l));
  const prefix: LineFormatter = createPrefixer(names, opts);
  return (l) => prefix(l.service, opts.timestamps ? `${stamp(l)} ${l.text}` : l.text);
}

/** `2026-12-07T12:00:00.123Z`, with `~` in front when it is an upper bound (line-times.ts). */
export function stamp(l: Pick<TimedLine, 'at' | 'approx'>): string {
  return `${l.approx ? '~' : ''}${new Date(l.at).toISOString()}`;
}

export function jsonLine(l: TimedLine): Record<string, unknown> {
  return {
    time: new Date(l.at).toISOString(),
    service: l.service,
    stream: l.stream,
    text: l.text,
    ...(l.approx
      ? { approx: true, ...(l.after !== undefined ? { after: new Date(l.after).toISOString() } : {}) }
      : {}),
  };
}

export async function printTimedLogs(
  sources: readonly TimedSource[],
  opts: TimedPrintOptions,
): Promise<Result<void>> {
  const problems: string[] = [];
  const lists = await Promise.all(
    sources.map(async (s) => {
      try {
        return await readTimedLines(s.name, s.path, {
          tail: opts.tail,
          since: opts.since,
          until: opts.until,
          keep: s.keep,
        });
      } catch (error) {
        problems.push(`cannot read log ${s.path}: ${describeError(error)}`);
        return [];
      }
    }),
  );
  const format = timedFormatter(
    sources.map((s) => s.name),
    opts,
  );
  let text = '';
  for (const line of mergeByTime(lists)) text += `${format(line)}\n`;
  if (text !== '') opts.out(text);
  if (problems.length > 0) return fail({ reason: 'io', message: problems.join('\n') });
  return ok(undefined);
}
