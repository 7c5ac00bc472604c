/**
 * Writing an exported file: atomically (a temporary file in the same folder, then
 * rename), with the mode its content calls for.
 *
 * A file that holds commands and environment (systemd units, compose, kubernetes: env
 * files' values may be passwords and tokens) is 0600 from its first byte: never readable
 * by another user, not even for the moment between a write and a chmod. `writeFileSync`
 * over an existing file would keep that file's mode (an 0644 compose file from an earlier
 * export stays world-readable) and a reader could see it half written; the rename gives
 * the new file its own mode and readers the old or the new content, nothing between.
 * Other files (targets, the make fragment) get the usual 0666 less the umask.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The mode of a file that carries services' commands and environment. */
export const PRIVATE_MODE = 0o600;

export function writeExportFile(path: string, content: string, isPrivate: boolean): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // `wx`: a file of that name (someone else's, a link) is never written through.
    writeFileSync(temp, content, { mode: isPrivate ? PRIVATE_MODE : 0o666, flag: 'wx' });
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
