/**
 * A cache hit must not load the parsers or the validator: here they throw when imported,
 * and a load from a hand-written cache entry still succeeds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import type { Desired } from '../../src/core/model.js';
import { writeCache } from '../../src/manifest/cache.js';
import { loadManifest } from '../../src/manifest/load.js';

vi.mock('yaml', () => {
  throw new Error('yaml imported on a cache hit');
});
vi.mock('../../src/manifest/pipeline.js', () => {
  throw new Error('pipeline imported on a cache hit');
});

const root = mkdtempSync(join(tmpdir(), 'uiprocs-hit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('answers from the cache without importing yaml, js-yaml or the validator', async () => {
  const manifestPath = join(root, 'ui-procs.yaml');
  writeFileSync(manifestPath, 'version: 1\nservices: {}\n');
  const env = { XDG_CACHE_HOME: join(root, 'cache') };
  const desired: Desired = {
    project: 'hit',
    projectDir: root,
    manifestPath,
    stateDir: join(root, '.uiprocs'),
    services: {},
    groups: {},
  };
  writeCache(manifestPath, readFileSync(manifestPath), env, { envNames: [], files: [] }, desired);
  const r = await loadManifest({ cwd: root, env });
  expect(r).toEqual({ ok: true, value: desired });
});
