import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearStopped, markStopped, stopMarkerPath, wasStopped } from '../../src/watch/stop-marker.js';

describe('stop markers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uiprocs-stop-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('mark, check, clear — as run/<name>.stopped beside the run record', async () => {
    expect(await wasStopped(dir, 'web')).toBe(false);
    await markStopped(dir, 'web');
    expect(await wasStopped(dir, 'web')).toBe(true);
    expect(await wasStopped(dir, 'api')).toBe(false);
    expect(await readdir(join(dir, 'run'))).toEqual(['web.stopped']);
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o700);
    await markStopped(dir, 'web'); // idempotent
    await clearStopped(dir, 'web');
    expect(await wasStopped(dir, 'web')).toBe(false);
    await clearStopped(dir, 'web'); // no marker: no error
  });

  it('refuses names that would leave run/', () => {
    for (const bad of ['', '../x', 'a/b', '.hidden'])
      expect(() => stopMarkerPath(dir, bad)).toThrow(/invalid/);
  });
});
