/**
 * Standard output and error by file descriptor, for the plain (non-interactive) paths.
 *
 * `process.stdout` and `process.stderr` are created on first use, and creating one for a
 * pipe or a terminal loads `net` and `stream`: `node -e 0` took 65 ms here, touching both
 * streams 74 ms, and every command that prints a line paid that. On Linux those streams
 * write synchronously anyway (files, pipes and terminals alike), so writing by descriptor
 * keeps the same order and the same guarantee that everything is out at exit.
 *
 * The interactive path (listr2 on a terminal) still uses the streams; it loads them
 * together with listr2.
 */
import { fstatSync, writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to `fd`. A reader that went away (`uiprocs ps | head -1`: EPIPE) or
 * a closed descriptor (EBADF) ends the output quietly, as there is no one left to tell.
 * EAGAIN comes from a descriptor that a parent shares with us in non-blocking mode (Node
 * parents set their pipes so): wait a moment and go on, rather than lose output.
 */
export function writeFd(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      else if (code === 'EPIPE' || code === 'EBADF') return;
      else throw error;
    }
  }
}

/** Linux's memory devices (/dev/null, /dev/zero, /dev/urandom…) have major number 1. */
const LINUX_MEM_MAJOR = 1;

/**
 * Whether `fd` is a terminal. Only a character device can be one, and on Linux not one of
 * the memory devices (output sent to /dev/null); `tty`, which loads `net`, is asked only
 * after that, so a pipe, a file or /dev/null answers from one fstat.
 */
export function isTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    if (process.platform === 'linux' && ((stat.rdev >> 8) & 0xfff) === LINUX_MEM_MAJOR) return false;
  } catch {
    return false;
  }
  return (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(fd);
}
