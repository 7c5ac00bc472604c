/**
 * Which changed files a `watch:` reacts to (duties/watch-filter.ts): paths, globs, the
 * entry's ignore globs, .gitignore and the folders never walked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchFilter } from '../../src/duties/watch-filter.js';

const dir = mkdtempSync(join(tmpdir(), 'uiprocs-filter-'));
writeFileSync(join(dir, '.gitignore'), 'build/\n*.pyc\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const filter = watchFilter(
  { paths: ['src', 'config/*.toml'], ignore: ['*.log', 'tmp/'], action: 'restart', debounceMs: 300 },
  dir,
  dir,
);
const at = (rel: string) => join(dir, rel);

describe('watchFilter', () => {
  it('watches the fixed part of each path', () => {
    expect(filter.roots).toEqual([at('src'), at('config')]);
  });

  it('takes files under a plain path and files a glob matches', () => {
    expect(filter.skip(at('src/app.py'), false)).toBe(false);
    expect(filter.skip(at('src/deep/er/app.py'), false)).toBe(false);
    expect(filter.skip(at('config/app.toml'), false)).toBe(false);
    expect(filter.skip(at('config/notes.txt'), false)).toBe(true);
    expect(filter.skip(at('README.md'), false)).toBe(true);
  });

  it('skips the ignore globs, .gitignore, .git and node_modules (folders pruned whole)', () => {
    expect(filter.skip(at('src/server.log'), false)).toBe(true);
    expect(filter.skip(at('src/tmp'), true)).toBe(true);
    expect(filter.skip(at('src/tmp'), false)).toBe(false);
    expect(filter.skip(at('src/app.pyc'), false)).toBe(true);
    expect(filter.skip(at('src/build'), true)).toBe(true);
    expect(filter.skip(at('src/node_modules'), undefined)).toBe(true);
    expect(filter.skip(at('src/.git'), true)).toBe(true);
    expect(filter.skip(at('src/lib/node_modules/x/index.js'), false)).toBe(true);
  });

  it('never takes the state dir or a log file, whatever the paths say', () => {
    const all = watchFilter({ paths: ['.'], ignore: [], action: 'restart', debounceMs: 300 }, dir, dir, [
      at('.uiprocs'),
      at('logs/api.log'),
    ]);
    expect(all.skip(at('.uiprocs'), true)).toBe(true);
    expect(all.skip(at('.uiprocs/run/api.json'), false)).toBe(true);
    expect(all.skip(at('logs/api.log'), false)).toBe(true);
    expect(all.skip(at('logs/other.txt'), false)).toBe(false);
  });

  it('shows paths relative to the service folder', () => {
    expect(filter.show(at('src/app.py'))).toBe('src/app.py');
  });
});
