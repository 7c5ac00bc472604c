/**
 * `run/<name>.health` is believed only for the process it names, and only while someone
 * keeps it up; it is not taken for a run record.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthFile, readHealthFile } from '../../src/state/health-file.js';
import { removeHealthFile, writeHealthFile } from '../../src/state/health-file-write.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { readRecords } from '../../src/state/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'uiprocs-health-'));
  dirs.push(d);
  const s = join(d, '.uiprocs');
  expect(ensureStateDir(s).ok).toBe(true);
  return s;
}

const now = Date.parse('2026-01-01T00:00:10.000Z');
const file = (over: Partial<HealthFile> = {}): HealthFile => ({
  version: 1,
  name: 'web',
  pid: 100,
  startTime: '555',
  status: 'unhealthy',
  failures: 3,
  lastFailure: { message: 'GET /health → 500', at: '2026-01-01T00:00:09.000Z' },
  updatedAt: '2026-01-01T00:00:09.000Z',
  refreshMs: 2000,
  ...over,
});

describe('health file', () => {
  it('is read back for the process it names', () => {
    const s = stateDir();
    expect(writeHealthFile(s, file()).ok).toBe(true);
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, now)).toMatchObject({
      status: 'unhealthy',
      failures: 3,
    });
  });

  it('is not believed for another process: other pid, or same pid with another start time', () => {
    const s = stateDir();
    writeHealthFile(s, file());
    expect(readHealthFile(s, 'web', { pid: 101, startTime: '555' }, now)).toBeNull();
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '556' }, now)).toBeNull();
  });

  it('is not believed once nobody has kept it up for 3 refresh periods', () => {
    const s = stateDir();
    writeHealthFile(s, file());
    const written = Date.parse('2026-01-01T00:00:09.000Z');
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, written + 6000)).not.toBeNull();
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, written + 6001)).toBeNull();
  });

  it('garbage, a missing file and a removed one read as null', () => {
    const s = stateDir();
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, now)).toBeNull();
    writeFileSync(join(s, 'run', 'web.health'), '{"version":1,');
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, now)).toBeNull();
    writeHealthFile(s, file({ status: 'bogus' as HealthFile['status'] }));
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, now)).toBeNull();
    writeHealthFile(s, file());
    removeHealthFile(s, 'web');
    expect(readHealthFile(s, 'web', { pid: 100, startTime: '555' }, now)).toBeNull();
  });

  it('is neither read as a run record nor removed by the record listing', () => {
    const s = stateDir();
    writeHealthFile(s, file());
    const { records, problems } = readRecords(s);
    expect(records).toEqual([]);
    expect(problems).toEqual([]);
    expect(readdirSync(join(s, 'run'))).toContain('web.health');
  });
});
