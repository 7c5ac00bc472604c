/**
 * The source tree watcher (duties/tree-watcher.ts) on the real file system: inotify per
 * folder, folders that appear later, an editor's temporary file, the first walk's `since`,
 * and polling.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TreeWatcher, watchTree } from '../../src/duties/tree-watcher.js';
import { waitFor } from '../helpers/wait.js';

let dir = '';
let watcher: TreeWatcher | undefined;
afterEach(() => {
  watcher?.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(opts: { since?: number; pollMs?: number } = {}) {
  dir = mkdtempSync(join(tmpdir(), 'uiprocs-tree-'));
  mkdirSync(join(dir, 'src/a'), { recursive: true });
  mkdirSync(join(dir, 'src/node_modules/x'), { recursive: true });
  writeFileSync(join(dir, 'src/a/old.py'), 'old\n');
  const changes: string[] = [];
  const errors: string[] = [];
  return {
    changes,
    errors,
    open() {
      watcher = watchTree([join(dir, 'src')], {
        skip: (abs) => abs.includes('node_modules'),
        onChange: (abs) => changes.push(abs.slice(dir.length + 1)),
        onError: (e) => errors.push(String(e.code)),
        ...opts,
      });
      return watcher;
    },
  };
}

describe('watchTree', () => {
  it('reports edits, files in folders made later, and deletions; skipped folders are not walked', async () => {
    const t = start();
    const w = t.open();
    expect(w.files).toBe(1);
    writeFileSync(join(dir, 'src/a/old.py'), 'new\n');
    await waitFor(() => t.changes.includes('src/a/old.py'), { what: 'the edit' });
    mkdirSync(join(dir, 'src/b/c'), { recursive: true });
    writeFileSync(join(dir, 'src/b/c/new.py'), 'x\n');
    await waitFor(() => t.changes.includes('src/b/c/new.py'), { what: () => `the new file: ${t.changes}` });
    unlinkSync(join(dir, 'src/a/old.py'));
    await waitFor(() => t.changes.filter((c) => c === 'src/a/old.py').length === 2, { what: 'the deletion' });
    writeFileSync(join(dir, 'src/node_modules/x/i.js'), 'x\n');
    // A file that comes and goes before it is looked at is an editor's temporary, not a change.
    writeFileSync(join(dir, 'src/a/4913'), '');
    unlinkSync(join(dir, 'src/a/4913'));
    writeFileSync(join(dir, 'src/a/marker.py'), 'x\n');
    await waitFor(() => t.changes.includes('src/a/marker.py'), { what: 'the marker' });
    expect(t.changes.filter((c) => c.includes('node_modules') || c.includes('4913'))).toEqual([]);
  });

  it('reports in its first walk the files modified after since, and no other', () => {
    const t = start();
    const since = Date.now();
    writeFileSync(join(dir, 'src/a/edited.py'), 'x\n');
    utimesSync(join(dir, 'src/a/old.py'), new Date(since - 60_000), new Date(since - 60_000));
    utimesSync(join(dir, 'src/a/edited.py'), new Date(since + 1000), new Date(since + 1000));
    watcher = watchTree([join(dir, 'src')], {
      skip: () => false,
      onChange: (abs) => t.changes.push(abs.slice(dir.length + 1)),
      onError: () => {},
      since,
    });
    expect(t.changes).toEqual(['src/a/edited.py']);
  });

  it('polls when asked: an edit is seen within a poll or two, with no inotify watch', async () => {
    const t = start({ pollMs: 50 });
    t.open();
    writeFileSync(join(dir, 'src/a/old.py'), 'changed\n');
    await waitFor(() => t.changes.includes('src/a/old.py'), { what: 'the polled edit' });
    expect(t.errors).toEqual([]);
  });
});
