import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { rememberedPort, rememberPort } from '../../src/state/port-memory.js';
import { removeTempDirs, tempDir } from './state-support.js';

let stateDir: string;
const file = (name: string) => join(statePaths(stateDir).run, `${name}.port`);

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
});
afterEach(removeTempDirs);

describe('port memory (run/<name>.port)', () => {
  it('reads back what was remembered; nothing remembered reads as undefined', () => {
    expect(rememberedPort(stateDir, 'ui')).toBeUndefined();
    rememberPort(stateDir, 'ui', 43123);
    expect(readFileSync(file('ui'), 'utf8')).toBe('43123\n');
    expect(rememberedPort(stateDir, 'ui')).toBe(43123);
    rememberPort(stateDir, 'ui', 8080);
    expect(rememberedPort(stateDir, 'ui')).toBe(8080);
  });

  it('junk, out-of-range ports and symlinks read as nothing remembered', () => {
    for (const text of ['', 'abc\n', '0\n', '65536\n', '-1\n', '80 81\n', '0080\n']) {
      writeFileSync(file('ui'), text);
      expect(rememberedPort(stateDir, 'ui'), JSON.stringify(text)).toBeUndefined();
    }
    const target = join(tempDir(), 'elsewhere');
    writeFileSync(target, '4000\n');
    symlinkSync(target, file('web'));
    expect(rememberedPort(stateDir, 'web')).toBeUndefined();
    // Remembering replaces the link; its target is untouched.
    rememberPort(stateDir, 'web', 5000);
    expect(rememberedPort(stateDir, 'web')).toBe(5000);
    expect(readFileSync(target, 'utf8')).toBe('4000\n');
  });

  it('a name that would escape run/ is neither read nor written', () => {
    rememberPort(stateDir, '../x', 5000);
    expect(rememberedPort(stateDir, '../x')).toBeUndefined();
  });
});
