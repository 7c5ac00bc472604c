import { open } from 'node:fs/promises';

/** How much of the file end is read for a tail: plenty for 20 lines of normal output. */
const TAIL_BYTES = 64 * 1024;

/**
 * The last `n` lines of a file (without a trailing empty line); [] when the file is
 * missing. Reads only the end of the file, so a huge log costs the same as a small one.
 */
export async function tailLines(path: string, n: number): Promise<string[]> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // probably a partial line
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  } finally {
    await handle?.close();
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
