import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkServiceName, ensureStateDir, statePaths } from '../../src/state/paths.js';
import { removeTempDirs, tempDir } from './state-support.js';

afterEach(removeTempDirs);

describe('statePaths', () => {
  it('lays out run, logs, lock and per-service files under the state dir', () => {
    const p = statePaths('/x/.uiprocs');
    expect(p.run).toBe('/x/.uiprocs/run');
    expect(p.logs).toBe('/x/.uiprocs/logs');
    expect(p.lock).toBe('/x/.uiprocs/lock');
    expect(p.lockBreak).toBe('/x/.uiprocs/lock.break');
    expect(p.gitignore).toBe('/x/.uiprocs/.gitignore');
    expect(p.pidFile('web')).toBe('/x/.uiprocs/run/web.pid');
    expect(p.recordFile('web')).toBe('/x/.uiprocs/run/web.json');
  });

  it.each(['a/b', '../up', 'x\0y', '..', '', '.hidden'])('rejects the name %j', (name) => {
    const r = checkServiceName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe('state-invalid');
  });

  it('accepts ordinary names', () => {
    expect(checkServiceName('inference-ui_2').ok).toBe(true);
  });
});

describe('ensureStateDir', () => {
  it('creates the dir 0700 with run/, logs/ and a .gitignore of *', () => {
    const dir = join(tempDir(), 'nested', '.uiprocs');
    expect(ensureStateDir(dir)).toEqual({ ok: true, value: undefined });
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(dir, 'logs')).isDirectory()).toBe(true);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('is idempotent and keeps an edited .gitignore', () => {
    const dir = join(tempDir(), '.uiprocs');
    expect(ensureStateDir(dir).ok).toBe(true);
    expect(ensureStateDir(dir).ok).toBe(true);
  });

  it('refuses a 0777 dir and leaves its mode alone', () => {
    const dir = join(tempDir(), '.uiprocs');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = ensureStateDir(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe('state-invalid');
      expect('message' in r.error && r.error.message).toMatch(/mode 0777.*chmod 700/s);
    }
    expect(lstatSync(dir).mode & 0o777).toBe(0o777);
  });

  it('refuses a symlinked state dir', () => {
    const base = tempDir();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, '.uiprocs'));
    const r = ensureStateDir(join(base, '.uiprocs'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect('message' in r.error && r.error.message).toMatch(/symlink/);
  });

  it('refuses a symlinked run/ inside an otherwise fine dir', () => {
    const base = tempDir();
    const dir = join(base, '.uiprocs');
    mkdirSync(dir, { mode: 0o700 });
    mkdirSync(join(base, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(base, 'elsewhere'), join(dir, 'run'));
    expect(ensureStateDir(dir).ok).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('refuses a dir owned by another user', () => {
    const dir = join(tempDir(), '.uiprocs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    const r = ensureStateDir(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect('message' in r.error && r.error.message).toMatch(/owned by uid 65534/);
  });

  it('refuses a file where the dir should be', () => {
    const base = tempDir();
    const dir = join(base, '.uiprocs');
    writeFileSync(dir, 'not a dir');
    expect(ensureStateDir(dir).ok).toBe(false);
  });
});
