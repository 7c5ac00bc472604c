import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { ServiceExit } from '../../src/core/model.js';
import { noteExits, recordExit } from '../../src/state/exits.js';
import { acquireLock } from '../../src/state/lock.js';
import { observe } from '../../src/state/observe.js';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { readRecord, readRecords, writeRecord } from '../../src/state/store.js';
import { FakeSystem, record, removeTempDirs, tempDir } from './state-support.js';

let stateDir: string;

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
});
afterEach(removeTempDirs);

const three: ServiceExit = { code: 3, signal: null, finishedAt: '2026-01-01T00:00:05.000Z' };
const unknown: ServiceExit = { code: null, signal: null, finishedAt: '2026-01-01T00:00:09.000Z' };
const exitOf = (name: string) => {
  const r = readRecord(stateDir, name);
  return r.ok ? r.value?.exit : undefined;
};

describe('recordExit (the caller holds the lock)', () => {
  it('adds the exit to the record of the process that ended, which still reads as a record', () => {
    const web = record('web');
    writeRecord(stateDir, web);
    expect(recordExit(stateDir, web, three)).toEqual({ ok: true, value: { ...web, exit: three } });
    expect(readRecords(stateDir)).toEqual({ records: [{ ...web, exit: three }], problems: [] });
  });

  it('leaves alone a record of a process started since (same name, another start time)', () => {
    const old = record('web', { pid: 100, startTime: '1' });
    const again = record('web', { pid: 100, startTime: '2' });
    writeRecord(stateDir, again);
    const before = readFileSync(statePaths(stateDir).recordFile('web'), 'utf8');
    expect(recordExit(stateDir, old, three)).toEqual({ ok: true, value: undefined });
    expect(readFileSync(statePaths(stateDir).recordFile('web'), 'utf8')).toBe(before);
    expect(recordExit(stateDir, record('gone'), three)).toEqual({ ok: true, value: undefined });
  });

  it('the parent beats a bystander: a known code replaces "unknown", never the other way round', () => {
    const web = record('web');
    writeRecord(stateDir, { ...web, exit: unknown });
    expect(recordExit(stateDir, web, three).ok).toBe(true);
    expect(exitOf('web')).toEqual(three);
    expect(recordExit(stateDir, web, unknown)).toEqual({ ok: true, value: undefined });
    const killed = { code: null, signal: 'SIGKILL', finishedAt: three.finishedAt };
    expect(recordExit(stateDir, web, killed)).toEqual({ ok: true, value: undefined });
    expect(exitOf('web')).toEqual(three);
  });

  it('a record whose exit is not an exit is not believed', () => {
    writeFileSync(
      statePaths(stateDir).recordFile('web'),
      JSON.stringify({ ...record('web'), exit: { code: '3', signal: null, finishedAt: three.finishedAt } }),
    );
    const read = readRecords(stateDir, { repair: false });
    expect(read.records).toEqual([]);
    expect(read.problems[0]).toMatch(/web\.json: is not a run record: exit\.code must be null or an integer/);
  });
});

describe('noteExits (lock-free callers: ps, watch)', () => {
  it('records "code unknown, found gone now" for stale records only, once', async () => {
    const system = new FakeSystem().add(200, 'live');
    writeRecord(stateDir, record('gone', { pid: 100 }));
    writeRecord(stateDir, record('up', { pid: 200, startTime: 'live' }));
    const before = Date.now();
    const seen = await noteExits(stateDir, observe(stateDir, system), { system, command: 'test' });
    const exit = exitOf('gone')!;
    expect(exit).toMatchObject({ code: null, signal: null });
    expect(Date.parse(exit.finishedAt)).toBeGreaterThanOrEqual(before);
    expect(seen.services.gone).toMatchObject({ status: 'stale', record: { exit } });
    expect(exitOf('up')).toBeUndefined();
    // A second look finds it recorded and keeps the first time.
    await noteExits(stateDir, observe(stateDir, system), { system, command: 'test' });
    expect(exitOf('gone')).toEqual(exit);
  });

  it("takes the parent's report when it has one, over an unknown exit already recorded", async () => {
    const system = new FakeSystem();
    writeRecord(stateDir, { ...record('web', { pid: 100 }), exit: unknown });
    const seen = await noteExits(stateDir, observe(stateDir, system), {
      system,
      command: 'test',
      exitOf: async (pid) => (pid === 100 ? three : undefined),
    });
    expect(exitOf('web')).toEqual(three);
    expect(seen.services.web).toMatchObject({ why: 'process 100 exited with code 3' });
  });

  it('never waits for the lock: while another command holds it, nothing is written', async () => {
    const system = new FakeSystem();
    writeRecord(stateDir, record('gone', { pid: 100 }));
    const held = await acquireLock(stateDir, { command: 'uiprocs up', system, clock: systemClock });
    if (!held.ok) throw new Error(JSON.stringify(held.error));
    try {
      const observed = observe(stateDir, system);
      const t0 = performance.now();
      expect(await noteExits(stateDir, observed, { system, command: 'test' })).toBe(observed);
      // A waiting caller would sit out the lock's 60 s default.
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(exitOf('gone')).toBeUndefined();
    } finally {
      held.value();
    }
  });
});
