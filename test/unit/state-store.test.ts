import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { readRecord, readRecords, removeRecord, updateRecord, writeRecord } from '../../src/state/store.js';
import { record, removeTempDirs, tempDir, transpileStateForChild } from './state-support.js';

let stateDir: string;
let paths: ReturnType<typeof statePaths>;

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
  paths = statePaths(stateDir);
});
afterEach(removeTempDirs);

describe('write / read round trip', () => {
  it('reads back exactly what was written, plus a pid file with just the PID', () => {
    const a = record('api', { pid: 100, port: null, command: 'flask run' });
    const b = record('web', { pid: 200, restarts: 3 });
    expect(writeRecord(stateDir, b).ok).toBe(true);
    expect(writeRecord(stateDir, a).ok).toBe(true);
    expect(readRecords(stateDir)).toEqual({ records: [a, b], problems: [] });
    expect(readFileSync(paths.pidFile('web'), 'utf8')).toBe('200\n');
    expect(readRecord(stateDir, 'api')).toEqual({ ok: true, value: a });
  });

  it('leaves no temp files behind and writes private files', () => {
    for (let i = 0; i < 20; i++) writeRecord(stateDir, record('web', { restarts: i }));
    expect(readdirSync(paths.run).sort()).toEqual(['web.json', 'web.pid']);
    expect(lstatSync(paths.recordFile('web')).mode & 0o777).toBe(0o600);
  });

  it('replaces a symlink planted at the record path instead of writing through it', () => {
    const outside = join(tempDir(), 'precious.txt');
    writeFileSync(outside, 'keep me');
    symlinkSync(outside, paths.recordFile('web'));
    expect(writeRecord(stateDir, record('web')).ok).toBe(true);
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(lstatSync(paths.recordFile('web')).isFile()).toBe(true);
  });

  it('refuses unsafe names and malformed records', () => {
    expect(writeRecord(stateDir, record('../escape')).ok).toBe(false);
    expect(writeRecord(stateDir, record('web', { pid: 0 })).ok).toBe(false);
    expect(readdirSync(paths.run)).toEqual([]);
  });

  it('removeRecord removes both files and tolerates a missing record', () => {
    writeRecord(stateDir, record('web'));
    expect(removeRecord(stateDir, 'web').ok).toBe(true);
    expect(removeRecord(stateDir, 'web').ok).toBe(true);
    expect(readdirSync(paths.run)).toEqual([]);
  });

  it('updateRecord rewrites the record (restart counter)', () => {
    writeRecord(stateDir, record('web', { restarts: 1 }));
    const r = updateRecord(stateDir, 'web', (rec) => ({ ...rec, restarts: rec.restarts + 1 }));
    expect(r.ok && r.value.restarts).toBe(2);
    expect(readRecords(stateDir).records[0]?.restarts).toBe(2);
    expect(updateRecord(stateDir, 'nope', (rec) => rec).ok).toBe(false);
  });

  it('a missing run dir reads as no records', () => {
    expect(readRecords(join(tempDir(), 'none'))).toEqual({ records: [], problems: [] });
  });
});

describe('damaged state becomes problems and is removed', () => {
  it.each([
    ['truncated', '{"version":1,"name":"web","pi'],
    ['garbage', '\u0000\u0001 not json'],
    ['empty', ''],
  ])('%s json', (_label, text) => {
    writeRecord(stateDir, record('ok'));
    writeFileSync(paths.recordFile('web'), text);
    const { records, problems } = readRecords(stateDir);
    expect(records.map((r) => r.name)).toEqual(['ok']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(paths.recordFile('web'));
    expect(problems[0]).toMatch(/removed it/);
    expect(existsSync(paths.recordFile('web'))).toBe(false);
  });

  it.each([
    ['a non-object', '[1,2]', /not a JSON object/],
    ['a bad pid', JSON.stringify(record('web', { pid: -1 })), /pid must be a positive integer/],
    ['a missing field', JSON.stringify({ ...record('web'), startTime: undefined }), /startTime/],
    ['another service name', JSON.stringify(record('api')), /names service "api"/],
    ['a future version', JSON.stringify({ ...record('web'), version: 2 }), /version/],
  ])('wrong shape: %s', (_label, text, why) => {
    writeFileSync(paths.recordFile('web'), text);
    const { records, problems } = readRecords(stateDir);
    expect(records).toEqual([]);
    expect(problems[0]).toMatch(why);
    expect(existsSync(paths.recordFile('web'))).toBe(false);
  });

  it('a symlinked record: the link is removed, the target outside is untouched', () => {
    const outside = join(tempDir(), 'outside.json');
    const text = JSON.stringify(record('web'));
    writeFileSync(outside, text);
    symlinkSync(outside, paths.recordFile('web'));
    const { records, problems } = readRecords(stateDir);
    expect(records).toEqual([]);
    expect(problems[0]).toMatch(/is a symlink \(to .*outside\.json\).*removed the link/);
    expect(existsSync(paths.recordFile('web'))).toBe(false);
    expect(readFileSync(outside, 'utf8')).toBe(text);
  });

  it('a junk pid file is reported and rewritten from the record', () => {
    writeRecord(stateDir, record('web', { pid: 321 }));
    writeFileSync(paths.pidFile('web'), 'hello\n');
    const { records, problems } = readRecords(stateDir);
    expect(records).toHaveLength(1);
    expect(problems[0]).toMatch(/web\.pid: does not contain a PID.*rewrote it with 321/);
    expect(readFileSync(paths.pidFile('web'), 'utf8')).toBe('321\n');
  });

  it('a pid file disagreeing with its record: the record wins', () => {
    writeRecord(stateDir, record('web', { pid: 321 }));
    writeFileSync(paths.pidFile('web'), '999\n');
    const { problems } = readRecords(stateDir);
    expect(problems[0]).toMatch(/says pid 999 but the record says 321/);
    expect(readFileSync(paths.pidFile('web'), 'utf8')).toBe('321\n');
  });

  it('a symlinked pid file is unlinked (target untouched) and rewritten', () => {
    const outside = join(tempDir(), 'victim');
    writeFileSync(outside, 'victim\n');
    writeRecord(stateDir, record('web', { pid: 321 }));
    const pidPath = paths.pidFile('web');
    rmSync(pidPath);
    symlinkSync(outside, pidPath);
    const { problems } = readRecords(stateDir);
    expect(problems[0]).toMatch(/symlink/);
    expect(readFileSync(outside, 'utf8')).toBe('victim\n');
    expect(lstatSync(pidPath).isFile()).toBe(true);
  });

  it('a pid file without a record is a leftover and removed', () => {
    writeFileSync(paths.pidFile('ghost'), '77\n');
    const { problems } = readRecords(stateDir);
    expect(problems[0]).toMatch(/ghost\.pid: pid file without a run record; removed it/);
    expect(existsSync(paths.pidFile('ghost'))).toBe(false);
  });

  it('an old temp file from a crashed writer is swept; a fresh one is left to its writer', () => {
    const old = join(paths.run, '.web.json.1.aa.tmp');
    const fresh = join(paths.run, '.web.json.2.bb.tmp');
    writeFileSync(old, '{');
    writeFileSync(fresh, '{');
    const past = new Date(Date.now() - 120_000);
    utimesSync(old, past, past);
    const { problems } = readRecords(stateDir);
    expect(problems).toHaveLength(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it('repair: false reports without touching anything', () => {
    writeFileSync(paths.recordFile('web'), 'garbage');
    const { problems } = readRecords(stateDir, { repair: false });
    expect(problems[0]).not.toMatch(/removed/);
    expect(existsSync(paths.recordFile('web'))).toBe(true);
  });

  it('readRecord turns damage into a Failure without removing it', () => {
    writeFileSync(paths.recordFile('web'), 'garbage');
    const r = readRecord(stateDir, 'web');
    expect(r.ok).toBe(false);
    expect(existsSync(paths.recordFile('web'))).toBe(true);
  });
});

describe('atomicity under concurrent writes', () => {
  it('a reader never sees a torn record while another process rewrites it in a loop', async () => {
    const stateModule = join(transpileStateForChild(), 'store.js');
    const script = `
      import { writeRecord } from ${JSON.stringify(stateModule)};
      const base = JSON.parse(process.argv[1]);
      const stateDir = process.argv[2];
      const pad = 'x'.repeat(20000); // large enough that a non-atomic write would tear
      let i = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const r = writeRecord(stateDir, { ...base, pid: 1000 + (i % 500), configHash: pad + i, restarts: i });
        if (!r.ok) { console.error(JSON.stringify(r.error)); process.exit(1); }
        i++;
      }
      console.log(i);
    `;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(record('web')), stateDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    let reads = 0;
    let seen = 0;
    const problems: string[] = [];
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      // No repair: a reader that "fixed" things would race the writer by design of this test.
      const result = readRecords(stateDir, { repair: false });
      reads++;
      for (const p of result.problems) if (!/pid file|says pid/.test(p)) problems.push(p);
      for (const r of result.records) {
        seen++;
        expect(r.configHash.endsWith(String(r.restarts))).toBe(true);
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await exited, err).toBe(0);
    expect(Number(out)).toBeGreaterThan(20);
    expect(reads).toBeGreaterThan(20);
    expect(seen).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    // The writer is done: nothing but the two final files remains.
    expect(readdirSync(paths.run).sort()).toEqual(['web.json', 'web.pid']);
    expect(readRecords(stateDir).problems).toEqual([]);
  });
});
