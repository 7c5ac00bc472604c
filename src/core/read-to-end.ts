import { readSync } from 'node:fs';

/**
 * Reads an open file to its end into `buf`, doubling the buffer whenever a read fills it,
 * and returns the bytes read (a view of `buf`, or of a bigger copy). A read that leaves
 * room unfilled is taken as the end, which spares the extra read that would return 0: true
 * of regular files and of the /proc files that hand over all they have at once (a
 * process's stat or environ), not of seq_files read a page at a time (/proc/net/tcp).
 */
export function readToEnd(fd: number, buf: Buffer): Buffer {
  let total = 0;
  for (;;) {
    if (total === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, total);
      buf = bigger;
    }
    const room = buf.length - total;
    const n = readSync(fd, buf, total, room, null);
    total += n;
    if (n < room) return buf.subarray(0, total);
  }
}
