import { open } from 'node:fs/promises';

import { tailLines as readTail } from '../logs/tail.js';

/**
 * The last lines of a log, for failure messages (src/logs' reader). An unreadable log
 * gives no lines rather than an error: the failure being reported is the service's.
 */
export async function tailLines(path: string, n: number): Promise<string[]> {
  try {
    return await readTail(path, n);
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
