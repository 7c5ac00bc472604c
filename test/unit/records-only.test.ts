import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordsOnlyProject } from '../../src/app/records-only.js';
import { projectId } from '../../src/core/identity.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { writeRecord } from '../../src/state/store.js';
import { record, removeTempDirs, tempDir } from './state-support.js';

afterEach(removeTempDirs);

const BROKEN = 'services:\n  web:\n    command: "never closed\n';

function project(manifest: string): { dir: string; load: () => ReturnType<typeof recordsOnlyProject> } {
  const dir = tempDir('uiprocs-records-only-');
  writeFileSync(join(dir, 'ui-procs.yaml'), manifest);
  return { dir, load: () => recordsOnlyProject({ file: undefined, cwd: dir, env: {} }) };
}

describe('recordsOnlyProject: where the records of a project with a broken manifest are', () => {
  it('the default state dir beside the manifest; the project id the records carry', async () => {
    const { dir, load } = project(`version: 1\nproject: [broken\n${BROKEN}`);
    const stateDir = join(dir, '.uiprocs');
    expect(await load()).toBeUndefined(); // no state dir: nothing to fall back to
    expect(ensureStateDir(stateDir).ok).toBe(true);
    expect(writeRecord(stateDir, record('web', { project: projectId('ocr-ui', stateDir) })).ok).toBe(true);
    expect(await load()).toEqual({
      project: 'ocr-ui',
      projectDir: dir,
      manifestPath: join(dir, 'ui-procs.yaml'),
      stateDir,
      services: {},
      groups: {},
      recordsOnly: true,
    });
  });

  it('without records: a readable project key, else the folder name; never an id made for another dir', async () => {
    const named = project(`version: 1\nproject: ocr-ui\nstate_dir: state\n${BROKEN}`);
    mkdirSync(join(named.dir, 'state'));
    expect(await named.load()).toMatchObject({ project: 'ocr-ui', stateDir: join(named.dir, 'state') });

    const unnamed = project(`version: 1\n${BROKEN}`);
    const stateDir = join(unnamed.dir, '.uiprocs');
    expect(ensureStateDir(stateDir).ok).toBe(true);
    writeRecord(stateDir, record('web', { project: projectId('other', '/elsewhere/.uiprocs') }));
    expect(await unnamed.load()).toMatchObject({ project: basename(unnamed.dir), stateDir });
  });

  it('no fallback when state_dir cannot be read with certainty, or the manifest is not found', async () => {
    const { dir, load } = project(`version: 1\nstate_dir: [state\n${BROKEN}`);
    mkdirSync(join(dir, '.uiprocs'));
    mkdirSync(join(dir, 'state'));
    expect(await load()).toBeUndefined();
    expect(await recordsOnlyProject({ file: 'missing.yaml', cwd: dir, env: {} })).toBeUndefined();
  });
});
