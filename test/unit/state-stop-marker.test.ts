import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearStopped, markStopped, stopMarkerPath, wasStopped } from '../../src/state/stop-marker.js';

describe('stop markers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uiprocs-stop-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('mark, check, clear — as run/<name>.stopped beside the run record', async () => {
    expect(wasStopped(dir, 'web')).toBe(false);
    expect(markStopped(dir, 'web').ok).toBe(true);
    expect(wasStopped(dir, 'web')).toBe(true);
    expect(wasStopped(dir, 'api')).toBe(false);
    expect(await readdir(join(dir, 'run'))).toEqual(['web.stopped']);
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o700);
    markStopped(dir, 'web'); // idempotent
    clearStopped(dir, 'web');
    expect(wasStopped(dir, 'web')).toBe(false);
    clearStopped(dir, 'web'); // no marker: no error
  });

  it('a symlink planted where the marker goes is replaced, never written through', async () => {
    const { mkdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync } = await import('node:fs');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    symlinkSync(victim, stopMarkerPath(dir, 'web'));
    expect(markStopped(dir, 'web').ok).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(stopMarkerPath(dir, 'web')).isFile()).toBe(true);
  });

  it('a FIFO planted where the marker goes neither blocks the write nor stays', async () => {
    const { execFileSync } = await import('node:child_process');
    const { lstatSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    execFileSync('mkfifo', [stopMarkerPath(dir, 'web')]);
    expect(markStopped(dir, 'web').ok).toBe(true);
    expect(lstatSync(stopMarkerPath(dir, 'web')).isFile()).toBe(true);
    expect(wasStopped(dir, 'web')).toBe(true);
  });

  it('refuses names that would leave run/', () => {
    for (const bad of ['', '../x', 'a/b', '.hidden'])
      expect(() => stopMarkerPath(dir, bad)).toThrow(/invalid/);
  });
});
