import { type Stats, statSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readTimes } from '../state/log-times.js';
import { DirectoryWatchers } from './dir-watchers.js';
import { describeError, isErrno } from './errors.js';
import { lineTimes } from './line-times.js';
import { createPrefixer } from './prefix.js';
import { DEFAULT_TAIL, formatBlock, type LogSource, type PrintOptions } from './print.js';
import { endOfLastLine, startOfLastLines, stripCR, tailOfRange } from './tail.js';
import { TimedFollow, type TimedFollowOptions } from './timed-follow.js';
import { mergeByTime, timedFormatter } from './timed-print.js';
import { splitWithEnds, type TimedLine } from './timed-read.js';

/**
 * `logs -f`: print the tails, then every new line of every service as it arrives, until the
 * signal aborts — across log files that do not exist yet, are truncated in place
 * (copy-truncate rotation, which uiprocs itself does) or are replaced by a rename
 * (logrotate's default).
 *
 * How changes are noticed — `fs.watch` on each log's *directory*, plus a slow poll:
 * - The directory, not the file: an inotify watch on a file follows its inode, so it goes
 *   silent when the file is renamed away and cannot exist before the file does. A directory
 *   watch reports creation, rename and (on Linux) writes to every file in it, so new lines
 *   show up within a few milliseconds.
 * - The poll (`pollMs`, default 250 ms) is the safety net, not the mechanism: it catches what
 *   watching cannot (directories created later, network or overlay filesystems that send no
 *   events, inotify limits reached) and bounds the latency there. Each tick costs one
 *   `stat` per service and no read when the size is unchanged, so an idle follow stays
 *   near 0 % CPU (measured: 1–3 ms of CPU per second for 5 logs).
 * - Not chokidar: it reports paths, not byte offsets, so the inode, offset and truncation
 *   bookkeeping below would be needed anyway, and its write-settling heuristics add latency.
 *
 * What is followed is an open file handle, checked against the path on every wake-up:
 * - same file, smaller than our offset → truncated in place: continue from 0;
 * - the path names another file (inode or birth time changed) → drain the old handle to its
 *   end (a writer may still have written to it), then open the new file from 0;
 * - the path is missing → keep draining the old handle; open the path once it reappears.
 *
 * Known limit, shared with `tail -F`: a truncation followed by a rewrite past our old offset
 * between two wake-ups looks like growth; with the directory watch that window is a few ms.
 */

export interface FollowOptions extends PrintOptions {
  /** Following stops, and `followLogs` resolves, when this aborts (Ctrl-C in the CLI). */
  signal: AbortSignal;
  /** Safety-net poll interval (see the module comment). Default 250. */
  pollMs?: number;
  /**
   * Problems that do not stop following (a log turned unreadable), each reported once until
   * it changes. Default: ignored.
   */
  warn?: (message: string) => void;
  /**
   * Called once every file's position is fixed (the tails are taken): from then on no
   * line is missed. The dashboard waits for it before it tells a page anything, or a line
   * printed in between would be in neither the page's first tail nor the stream.
   */
  started?: () => void;
  /**
   * Time every line (logs -t, --json, --since): services merged in time order
   * (timed-follow.ts), printed with times (`timestamps`) or as JSON lines (`json`).
   */
  timed?: TimedFollowOptions & { timestamps: boolean; json: boolean };
  /** Instead of printing: the timed lines as they are due (the dashboard). Needs `timed`. */
  onTimed?: (lines: TimedLine[]) => void;
}

export const DEFAULT_POLL_MS = 250;

/** An unfinished line longer than this is printed as it is, so memory stays bounded. */
const MAX_PARTIAL = 1024 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * Prints each service's last `tail` lines (in service order, like `printLogs`), then new
 * lines of all services interleaved as they arrive, whole lines only: an unfinished line is
 * held until its newline (and printed as it is when following stops). Never rejects for
 * I/O problems: they go to `warn` and the file is retried on the next wake-up. Resolves after
 * the signal aborts, once every watcher, timer and file handle is released.
 */
export async function followLogs(services: readonly LogSource[], opts: FollowOptions): Promise<void> {
  const names = services.map((s) => s.name);
  const format = createPrefixer(names, opts);
  const timed = opts.timed;
  const printTimed =
    opts.onTimed ??
    (timed === undefined
      ? () => {}
      : ((f: (l: TimedLine) => string) => (lines: TimedLine[]) => {
          let text = '';
          for (const l of lines) text += `${f(l)}\n`;
          opts.out(text);
        })(timedFormatter(names, { ...opts, ...timed })));
  const sink = timed === undefined ? undefined : new TimedFollow(timed, printTimed);
  const emit = (service: LogSource, lines: string[], ends: number[]) => {
    if (sink !== undefined) sink.push(service.name, service.path, lines, ends);
    else opts.out(formatBlock(service.name, lines, format));
  };
  const followers = services.map(
    (s) => new FileFollower(s, emit, opts.warn ?? (() => {}), sink !== undefined),
  );

  const tails = await Promise.all(followers.map((f) => f.start(opts.tail ?? DEFAULT_TAIL)));
  opts.started?.();
  if (timed === undefined) {
    tails.forEach(({ lines }, i) => {
      if (lines.length > 0) opts.out(formatBlock(services[i]!.name, lines, format));
    });
  } else {
    const lists = tails.map(({ lines, ends, mtimeMs }, i) => {
      const times = lineTimes(readTimes(services[i]!.path), ends, mtimeMs);
      return lines
        .map((text, k): TimedLine => ({ service: services[i]!.name, text, ...times[k]! }))
        .filter(
          (l) =>
            (timed.since === undefined || l.at >= timed.since) &&
            (timed.until === undefined || l.at <= timed.until),
        );
    });
    const merged = mergeByTime(lists);
    if (merged.length > 0) printTimed(merged);
  }

  const dirs = new DirectoryWatchers(followers);
  dirs.refresh();
  // Lines written between the tail and the watch would otherwise wait for the first event.
  for (const f of followers) f.poke();
  const timer = setInterval(() => {
    dirs.refresh();
    for (const f of followers) f.pokeIfChanged();
  }, opts.pollMs ?? DEFAULT_POLL_MS);

  await aborted(opts.signal);
  clearInterval(timer);
  dirs.close();
  await Promise.all(followers.map((f) => f.close()));
  sink?.close();
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Identity of a file behind a path: inode numbers get reused, birth times rarely match too. */
interface FileId {
  dev: number;
  ino: number;
  birthtimeMs: number;
}

const idOf = (st: Stats): FileId => ({ dev: st.dev, ino: st.ino, birthtimeMs: st.birthtimeMs });
const sameFile = (a: FileId, b: FileId): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs;

/**
 * One log file being followed. Checks are serialised: a wake-up during a check sets a flag
 * and the running check goes round once more, so bursts of events coalesce into few reads
 * and two reads never race on the offset.
 */
class FileFollower {
  readonly path: string;
  readonly fileName: string;
  private fh: FileHandle | null = null;
  private id: FileId | null = null;
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastWarning = '';

  constructor(
    private readonly source: LogSource,
    private readonly emit: (source: LogSource, lines: string[], ends: number[]) => void,
    private readonly warn: (message: string) => void,
    /** Each line's end offset is wanted (timed output): the tail is read forward from its start. */
    private readonly withEnds: boolean,
  ) {
    this.path = source.path;
    this.fileName = basename(source.path);
  }

  /**
   * Opens the file if it exists and returns its last `n` complete lines (with their end
   * offsets when `withEnds`, and the file's mtime); follows from there.
   */
  async start(n: number): Promise<{ lines: string[]; ends: number[]; mtimeMs: number }> {
    const none = { lines: [], ends: [], mtimeMs: Date.now() };
    try {
      const fh = await open(this.path, 'r');
      this.fh = fh;
      for (let attempt = 0; attempt < 2; attempt++) {
        const st = await fh.stat();
        this.id = idOf(st);
        const end = await endOfLastLine(fh, st.size);
        if (end === null) continue;
        if (!this.withEnds) {
          const lines = await tailOfRange(fh, end, n);
          if (lines === null) continue;
          this.offset = end;
          return { lines, ends: [], mtimeMs: st.mtimeMs };
        }
        const start = await startOfLastLines(fh, end, n);
        if (start === null) continue;
        const buf = Buffer.allocUnsafe(end - start);
        const { bytesRead } = await fh.read(buf, 0, buf.length, start);
        if (bytesRead < buf.length) continue;
        this.offset = end;
        return { ...splitWithEnds(buf, start), mtimeMs: st.mtimeMs };
      }
      this.offset = 0; // truncated twice while we looked: follow it from its start
      return none;
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) this.report(error);
      await this.releaseHandle();
      return none;
    }
  }

  /** Schedules a check; never rejects. */
  poke(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /**
   * The poll's look: one synchronous `stat`, and the full check only when the path no longer
   * matches what is followed (grown, shrunk, replaced, appeared). An async `stat` per file
   * per tick is a thread-pool round trip each: for the dashboard's 50 logs that was most of
   * its CPU while a page was open.
   */
  pokeIfChanged(): void {
    if (this.closed || this.running) return;
    let current: Stats | undefined;
    try {
      current = statSync(this.path);
    } catch {
      current = undefined;
    }
    const unchanged =
      this.fh && this.id
        ? current !== undefined && sameFile(idOf(current), this.id) && current.size === this.offset
        : current === undefined;
    if (!unchanged) this.poke();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.check();
        this.lastWarning = '';
      } catch (error) {
        this.report(error);
      }
    } while (this.again && !this.closed);
    this.running = null;
  }

  private async check(): Promise<void> {
    let current: Stats | null = null;
    try {
      current = await stat(this.path);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    if (this.fh && this.id) {
      if (current === null || sameFile(idOf(current), this.id)) {
        // The path's stat is the open file's stat: no second syscall, and no read when idle.
        const size = current ? current.size : (await this.fh.stat()).size;
        if (size === this.offset && current) return;
        if (size < this.offset) this.offset = 0; // truncated in place
        await this.drain();
        return;
      }
      // Replaced: finish the old file, then switch. Its unfinished line will never end.
      await this.drain();
      this.flushPartial();
      await this.releaseHandle();
    }
    if (current !== null && !this.closed) {
      const fh = await open(this.path, 'r');
      this.fh = fh;
      this.id = idOf(await fh.stat());
      this.offset = 0;
      await this.drain();
    }
  }

  /** Reads from the offset to the end of the open file and prints the complete lines. */
  private async drain(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      this.consume(buf.subarray(0, bytesRead));
    }
  }

  /** `chunk` was just read, ending at `this.offset`. */
  private consume(chunk: Buffer): void {
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    const base = this.offset - data.length;
    const lines: string[] = [];
    const ends: number[] = [];
    let from = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
      lines.push(stripCR(data.toString('utf8', from, nl)));
      ends.push(base + nl + 1);
      from = nl + 1;
    }
    // Copy: `chunk` is a reused read buffer.
    this.partial = Buffer.from(data.subarray(from));
    if (this.partial.length > MAX_PARTIAL) this.flushPartial(lines, ends);
    if (lines.length > 0) this.emit(this.source, lines, ends);
  }

  /** Prints the unfinished line as it is (into `lines` when given, else at once). */
  private flushPartial(lines?: string[], ends?: number[]): void {
    if (this.partial.length === 0) return;
    const line = stripCR(this.partial.toString('utf8'));
    this.partial = Buffer.alloc(0);
    if (lines && ends) {
      lines.push(line);
      ends.push(this.offset);
    } else this.emit(this.source, [line], [this.offset]);
  }

  private async releaseHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    this.id = null;
    if (fh) await fh.close().catch(() => {});
  }

  private report(error: unknown): void {
    const message = `${this.source.name}: cannot follow ${this.path}: ${describeError(error)}`;
    if (message !== this.lastWarning) this.warn(message);
    this.lastWarning = message;
  }

  /** Waits for a running check, prints a held unfinished line, closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    this.flushPartial();
    await this.releaseHandle();
  }
}
