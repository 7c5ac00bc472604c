/**
 * `logs -f -t` / `--json -f`: the lines follow.ts reads as they arrive, timed from the
 * logs' indexes and printed in time order across services.
 *
 * A new line is usually stamped by whoever holds the duties within a few milliseconds of
 * its write (duties/log-stamps.ts). So arriving lines are held HOLD_MS: long enough for
 * their stamps to land (each log's index is read from where the last read ended), and for
 * lines of other services written just before to arrive, then printed sorted by time. A
 * line still without a stamp then gets the moment this follower saw it (it watches the
 * log's folder itself, so that is within milliseconds of the write) and stream `unknown`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseTimesLine, type TimeEntry, timesPath } from '../state/log-times.js';
import type { TimedLine } from './timed-read.js';

/** How long an arriving line waits for its stamp and for the lines of others written before it. */
export const HOLD_MS = 60;

export interface TimedFollowOptions {
  since?: number;
  until?: number;
}

interface Held {
  line: TimedLine;
  /** The line's end offset in its log, to find its stamp. */
  end: number;
  path: string;
  arrived: number;
  seq: number;
}

/** New entries of one log's index, read from where the last read ended. */
class IndexTail {
  private position = 0;
  private partial = '';
  private ino = -1;
  entries: TimeEntry[] = [];

  constructor(private readonly logPath: string) {}

  /** Reads what was appended since the last call; starts over when the index was replaced (a rotation). */
  refresh(): void {
    let fd: number;
    try {
      fd = openSync(timesPath(this.logPath), 'r');
    } catch {
      return;
    }
    try {
      const st = fstatSync(fd);
      if (st.ino !== this.ino || st.size < this.position) {
        this.ino = st.ino;
        this.position = 0;
        this.partial = '';
        this.entries = [];
      }
      const buf = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.position);
        if (n === 0) break;
        this.position += n;
        this.partial += buf.toString('utf8', 0, n);
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const e = parseTimesLine(line);
      if (e !== undefined) this.entries.push(e);
    }
    // Only entries past what was already timed are ever needed: keep the list short.
    if (this.entries.length > 4096) this.entries = this.entries.slice(-1024);
  }

  /** The first entry at or past `end`, if stamped yet. */
  covering(end: number): TimeEntry | undefined {
    return this.entries.find((e) => e.offset >= end);
  }
}

export class TimedFollow {
  private readonly held: Held[] = [];
  private readonly indexes = new Map<string, IndexTail>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    private readonly opts: TimedFollowOptions,
    private readonly print: (lines: TimedLine[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Lines of `service` that just arrived from `path`, with their end offsets. */
  push(service: string, path: string, lines: readonly string[], ends: readonly number[]): void {
    const arrived = this.now();
    lines.forEach((text, i) => {
      this.held.push({
        line: { service, text, at: arrived, approx: false, stream: 'unknown' },
        end: ends[i]!,
        path,
        arrived,
        seq: this.seq++,
      });
    });
    this.timer ??= setTimeout(() => this.flush(false), HOLD_MS);
  }

  /** Prints the lines held long enough (all of them when `all`), in time order. */
  flush(all: boolean): void {
    this.timer = undefined;
    const due = all ? this.held.length : this.held.filter((h) => this.now() - h.arrived >= HOLD_MS).length;
    if (due === 0) {
      this.rearm();
      return;
    }
    const paths = new Set(this.held.map((h) => h.path));
    for (const path of paths) this.index(path).refresh();
    // Held lines are in arrival order; the due ones are a prefix of it.
    const ready = this.held.splice(0, due);
    for (const h of ready) {
      const e = this.index(h.path).covering(h.end);
      if (e?.kind === 'write') h.line = { ...h.line, at: e.at, stream: e.stream };
      else if (e?.kind === 'start') h.line = { ...h.line, at: e.at, approx: true };
    }
    ready.sort((a, b) => a.line.at - b.line.at || a.seq - b.seq);
    const shown = ready
      .map((h) => h.line)
      .filter(
        (l) =>
          (this.opts.since === undefined || l.at >= this.opts.since) &&
          (this.opts.until === undefined || l.at <= this.opts.until),
      );
    if (shown.length > 0) this.print(shown);
    this.rearm();
  }

  private rearm(): void {
    if (this.held.length > 0 && this.timer === undefined)
      this.timer = setTimeout(() => this.flush(false), HOLD_MS);
  }

  private index(path: string): IndexTail {
    let tail = this.indexes.get(path);
    if (tail === undefined) {
      tail = new IndexTail(path);
      this.indexes.set(path, tail);
    }
    return tail;
  }

  /** Prints everything still held (following stops). */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush(true);
  }
}
