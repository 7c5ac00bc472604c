import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judge, observe, pruneStale } from '../../src/state/observe.js';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { readRecords, writeRecord } from '../../src/state/store.js';
import { FakeSystem, record, removeTempDirs, tempDir } from './state-support.js';

let stateDir: string;
let system: FakeSystem;

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
  system = new FakeSystem();
});
afterEach(removeTempDirs);

describe('identity rule', () => {
  const rec = record('web', { pid: 500, startTime: '9000', bootId: 'boot-a' });

  it('alive, same start time, same boot → running', () => {
    system.add(500, '9000');
    expect(judge(rec, system, 'boot-a')).toEqual({ name: 'web', status: 'running', record: rec });
  });

  it.each([
    ['dead', () => undefined, 'process 500 is gone'],
    ['zombie', () => system.add(500, '9000', 'Z'), 'process 500 has exited (zombie, waiting to be reaped)'],
    ['dead (X)', () => system.add(500, '9000', 'X'), 'process 500 has exited (zombie, waiting to be reaped)'],
    [
      'PID reused',
      () => system.add(500, '9999'),
      'pid 500 now belongs to another process (start time differs)',
    ],
  ])('%s → stale', (_label, arrange, why) => {
    arrange();
    expect(judge(rec, system, 'boot-a')).toEqual({ name: 'web', status: 'stale', record: rec, why });
  });

  it('another boot → stale, even when the PID and start time match by chance', () => {
    system.add(500, '9000');
    const verdict = judge(rec, system, 'boot-b');
    expect(verdict.status).toBe('stale');
    expect(verdict.status === 'stale' && verdict.why).toMatch(/^record from a previous boot/);
  });
});

describe('observe', () => {
  it('judges every record, reports damage as warnings, and removes no stale record', () => {
    writeRecord(stateDir, record('api', { pid: 10, startTime: '1' }));
    writeRecord(stateDir, record('web', { pid: 11, startTime: '2' }));
    writeFileSync(statePaths(stateDir).recordFile('junk'), '{');
    system.add(10, '1');
    const observed = observe(stateDir, system, { expected: ['api', 'web', 'docs'] });
    expect(observed.services.api?.status).toBe('running');
    expect(observed.services.web).toMatchObject({ status: 'stale', why: 'process 11 is gone' });
    expect(observed.services.docs).toEqual({ name: 'docs', status: 'absent' });
    expect(observed.warnings).toHaveLength(1);
    expect(observed.warnings[0]).toMatch(/junk\.json/);
    expect(existsSync(statePaths(stateDir).recordFile('web'))).toBe(true);
  });

  it('keeps records of services no longer expected (orphans)', () => {
    writeRecord(stateDir, record('old', { pid: 10, startTime: '1' }));
    system.add(10, '1');
    const observed = observe(stateDir, system, { expected: ['web'] });
    expect(Object.keys(observed.services).sort()).toEqual(['old', 'web']);
  });

  it('reads the boot id once and asks about each process once', () => {
    for (let i = 0; i < 50; i++) writeRecord(stateDir, record(`svc${i}`, { pid: 1000 + i, startTime: '7' }));
    let bootReads = 0;
    const boot = system.bootId.bind(system);
    system.bootId = () => {
      bootReads++;
      return boot();
    };
    system.procCalls = 0;
    const observed = observe(stateDir, system);
    expect(Object.keys(observed.services)).toHaveLength(50);
    expect(bootReads).toBe(1);
    expect(system.procCalls).toBe(50);
  });
});

describe('pruneStale', () => {
  it('removes the stale records it was given', () => {
    writeRecord(stateDir, record('web', { pid: 11 }));
    const observed = observe(stateDir, system);
    const stale = Object.values(observed.services).flatMap((s) => (s.status === 'stale' ? [s] : []));
    expect(pruneStale(stateDir, stale)).toEqual({ ok: true, value: ['web'] });
    expect(readRecords(stateDir).records).toEqual([]);
  });

  it('leaves a record that was rewritten (service restarted) since it was observed', () => {
    writeRecord(stateDir, record('web', { pid: 11, startTime: '1' }));
    const observed = observe(stateDir, system);
    writeRecord(stateDir, record('web', { pid: 12, startTime: '5' }));
    const web = observed.services.web;
    expect(web?.status).toBe('stale');
    if (web?.status !== 'stale') return;
    expect(pruneStale(stateDir, [web])).toEqual({ ok: true, value: [] });
    expect(readRecords(stateDir).records[0]?.pid).toBe(12);
  });
});
