import { open } from 'node:fs/promises';

import { tailLines as readTail } from './tail.js';

/** Bytes after `from` read whole to keep only this run's lines; beyond, the plain tail is this run's anyway. */
const RUN_WINDOW = 1024 * 1024;

/**
 * The last lines of a log, for failure messages (src/logs' reader). An unreadable log
 * gives no lines rather than an error: the failure being reported is the service's.
 *
 * `from`: the byte offset where this run began (SpawnedService.logOffset): lines before it
 * are an earlier run's, and a failure message quoting them would blame the wrong run.
 */
export async function tailLines(path: string, n: number, from = 0): Promise<string[]> {
  try {
    if (from <= 0) return await readTail(path, n);
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      // Truncated (rotated) since the run began: what is there is all this run's.
      const start = size < from ? 0 : from;
      if (size - start > RUN_WINDOW) return await readTail(path, n);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      return lines.slice(-n).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}

/** Reads new bytes appended to a log since `offset`; remembers where it stopped. */
export class LogFollower {
  private partial = '';
  constructor(
    private readonly path: string,
    private offset: number,
  ) {}

  /** Complete lines appended since the last call, plus the unfinished last line (re-read next time). */
  async readNew(): Promise<string[]> {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(this.path, 'r');
      const { size } = await handle.stat();
      if (size < this.offset) this.offset = 0; // rotated or truncated
      if (size > this.offset) {
        const buffer = Buffer.alloc(size - this.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        this.offset += bytesRead;
        this.partial += buffer.subarray(0, bytesRead).toString('utf8');
      }
    } catch {
      return [];
    } finally {
      await handle?.close();
    }
    const lines = this.partial.split('\n');
    const last = lines.pop() ?? '';
    this.partial = last;
    return last === '' ? lines : [...lines, last];
  }
}
