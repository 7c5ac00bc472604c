/**
 * The `logs` tool's answer: the last lines of one service's log, or of every service's
 * merged by the time each line was written — the reader of `uiprocs logs -t`
 * (logs/timed-read.ts, logs/timed-print.ts), each line with its time and service.
 *
 * Bounded three ways, because an agent pays for every byte: at most {@link MAX_LINES}
 * lines (the newest), each cut to {@link MAX_LINE_CHARS}, and the whole answer to
 * answer.ts's cap, the oldest lines going first. What was left out is said, never silent.
 */
import type { Desired } from '../core/model.js';
import { mergeByTime, timedFormatter } from '../logs/timed-print.js';
import { readTimedLines } from '../logs/timed-read.js';
import { MAX_ANSWER_CHARS, MAX_LINES } from './answer.js';

/** A minified bundle or a base64 blob on one line must not fill the answer by itself. */
export const MAX_LINE_CHARS = 2000;

export interface LogsQuery {
  /** Services in the manifest's order; their lines are merged by time. */
  names: string[];
  lines: number;
  /** Wall-clock ms. */
  since?: number;
}

export async function logsAnswer(desired: Desired, query: LogsQuery): Promise<string> {
  const problems: string[] = [];
  const lists = await Promise.all(
    query.names.map(async (name) => {
      const log = desired.services[name]!.log;
      try {
        return await readTimedLines(name, log.path, {
          tail: query.lines,
          ...(query.since !== undefined ? { since: query.since } : {}),
          keep: log.keep,
        });
      } catch (error) {
        problems.push(`cannot read log ${log.path}: ${(error as Error).message}`);
        return [];
      }
    }),
  );
  const merged = mergeByTime(lists);
  const newest = merged.slice(Math.max(0, merged.length - query.lines));
  const format = timedFormatter(query.names, { timestamps: true, json: false, prefix: true, color: false });
  const lines = newest.map((l) => format({ ...l, text: clip(l.text) }));
  // Oldest first out, until the newest fit in the answer.
  let size = lines.reduce((n, l) => n + l.length + 1, 0);
  let first = 0;
  while (size > MAX_ANSWER_CHARS - 256 && first < lines.length) size -= lines[first++]!.length + 1;
  const head: string[] = [];
  if (first > 0)
    head.push(`(${first} earlier lines left out: an answer is at most ${MAX_ANSWER_CHARS} characters)`);
  else if (newest.length === query.lines)
    head.push(
      `(the newest ${query.lines} lines; for earlier ones ask for more lines, up to ${MAX_LINES}, or a since)`,
    );
  if (merged.length === 0) head.push(`no log lines${query.since !== undefined ? ' in that window' : ''}`);
  return [...problems, ...head, ...lines.slice(first)].join('\n');
}

function clip(text: string): string {
  if (text.length <= MAX_LINE_CHARS) return text;
  return `${text.slice(0, MAX_LINE_CHARS)}… (${text.length - MAX_LINE_CHARS} more characters)`;
}
