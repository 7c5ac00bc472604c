import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectId, projectIdOf } from '../../src/core/identity.js';
import type { Desired, Observed } from '../../src/core/model.js';
import { recordsOnlyProject } from '../../src/engine/records-only.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { desiredIn } from '../helpers/desired.js';
import { record, removeTempDirs, tempDir } from './state-support.js';

afterEach(removeTempDirs);

const BROKEN = 'services:\n  web:\n    command: "never closed\n';

function project(manifest: string): { dir: string; load: () => ReturnType<typeof recordsOnlyProject> } {
  const dir = tempDir('uiprocs-records-only-');
  writeFileSync(join(dir, 'ui-procs.yaml'), manifest);
  return { dir, load: () => recordsOnlyProject({ file: undefined, cwd: dir, env: {} }) };
}

describe('recordsOnlyProject: where the records of a project with a broken manifest are', () => {
  it('the default state dir beside the manifest, once it exists', async () => {
    const { dir, load } = project(`version: 1\nproject: ocr-ui\n${BROKEN}`);
    const stateDir = join(dir, '.uiprocs');
    expect(await load()).toBeUndefined(); // no state dir: nothing to fall back to
    expect(ensureStateDir(stateDir).ok).toBe(true);
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

  it('a state_dir that reads clearly; a project key that does not gives the folder name', async () => {
    const { dir, load } = project(`version: 1\nproject: [broken\nstate_dir: state\n${BROKEN}`);
    mkdirSync(join(dir, 'state'));
    expect(await load()).toMatchObject({ project: basename(dir), stateDir: join(dir, 'state') });
  });

  it('no fallback when state_dir cannot be read with certainty, or the manifest is not found', async () => {
    const { dir, load } = project(`version: 1\nstate_dir: [state\n${BROKEN}`);
    mkdirSync(join(dir, '.uiprocs'));
    mkdirSync(join(dir, 'state'));
    expect(await load()).toBeUndefined();
    expect(await recordsOnlyProject({ file: 'missing.yaml', cwd: dir, env: {} })).toBeUndefined();
  });
});

describe('projectIdOf: the id the tag sweeps look for', () => {
  const stateDir = '/p/.uiprocs';
  const desired = (recordsOnly: boolean): Desired => ({
    ...desiredIn('/p', 'folder', []),
    ...(recordsOnly ? { recordsOnly: true as const } : {}),
  });
  const observed = (...ids: string[]): Observed => ({
    services: Object.fromEntries(
      ids.map((id, i) => [
        `s${i}`,
        { name: `s${i}`, status: 'running', record: record(`s${i}`, { project: id }) },
      ]),
    ),
    warnings: [],
  });
  const own = projectId('folder', stateDir);
  const theirs = projectId('ocr-ui', stateDir);

  it("from the records alone, the id the records carry; with a manifest, always the manifest's", () => {
    expect(projectIdOf(desired(true), observed(theirs, theirs))).toBe(theirs);
    expect(projectIdOf(desired(false), observed(theirs))).toBe(own);
  });

  it('records that disagree, or carry an id made for another state dir, are not followed', () => {
    expect(projectIdOf(desired(true), observed(theirs, projectId('x', stateDir)))).toBe(own);
    expect(projectIdOf(desired(true), observed(projectId('ocr-ui', '/elsewhere/.uiprocs')))).toBe(own);
    expect(projectIdOf(desired(true), observed('short'))).toBe(own);
    expect(projectIdOf(desired(true), observed())).toBe(own);
  });
});
