/**
 * A fresh clone of this checkout without the cost of one: the files a clone of it would
 * have once committed (tracked files and new, not ignored ones, as the working tree has
 * them), so no dist/; and an installed node_modules whose entries are symlinks into this
 * checkout's, because a real `npm ci` costs 10–20 s under a test suite's load. The copy's
 * node_modules/.package-lock.json is newer than its package.json, as after `npm ci`, so
 * make does not install again. Deleting the copy deletes the links, never their targets.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** Lays the copy into `dest` (an empty or missing folder). */
export function freshCopy(dest: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = join(root, file);
    // A tracked file deleted in the working tree is not in the next commit either.
    if (!lstatSync(from, { throwIfNoEntry: false })?.isFile()) continue;
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(from, join(dest, file));
  }
  const modules = join(root, 'node_modules');
  mkdirSync(join(dest, 'node_modules'));
  for (const entry of readdirSync(modules)) {
    // Packages and their commands; not tools' caches (.vite, .cache), which are per checkout.
    if (entry.startsWith('.') && entry !== '.bin') continue;
    symlinkSync(join(modules, entry), join(dest, 'node_modules', entry));
  }
  copyFileSync(join(modules, '.package-lock.json'), join(dest, 'node_modules/.package-lock.json'));
}
