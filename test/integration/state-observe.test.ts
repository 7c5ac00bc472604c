import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/model.js';
import { getSystem } from '../../src/runtime/system.js';
import { observe } from '../../src/state/observe.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { writeRecord } from '../../src/state/store.js';
import { waitFor } from '../helpers/wait.js';
import { record, removeTempDirs, tempDir } from '../unit/state-support.js';

const system = getSystem();
const children: ChildProcess[] = [];
let stateDir: string;

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
});
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  removeTempDirs();
});

/** Detached like a real service: it leads its own session and group, as `up` spawns them. */
function spawnForever(): ChildProcess & { pid: number } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], {
    stdio: 'ignore',
    detached: true,
  });
  children.push(child);
  if (child.pid === undefined) throw new Error('spawn failed');
  return child as ChildProcess & { pid: number };
}

/**
 * A record with `pid`'s real identity. Group and session are the PID itself, as for every
 * service `up` spawns: the runner's own are 0 when its session leader lives outside this PID
 * namespace (a CI container's `exec`), and a record refuses 0 (kill(0) means "my group").
 */
function recordFor(name: string, pid: number, overrides: Partial<RunRecord> = {}): RunRecord {
  const info = system.proc(pid);
  if (info === undefined) throw new Error(`no process ${pid}`);
  return record(name, {
    pid,
    pgid: pid,
    sid: pid,
    startTime: info.startTime,
    bootId: system.bootId(),
    ...overrides,
  });
}

describe('observe over real processes', () => {
  it('a live process with its real start time is running; once killed it is stale', async () => {
    const child = spawnForever();
    await waitFor(() => system.proc(child.pid) !== undefined, { timeout: 5000, what: 'child in /proc' });
    expect(writeRecord(stateDir, recordFor('forever', child.pid)).ok).toBe(true);
    expect(observe(stateDir, system).services.forever?.status).toBe('running');

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited; // node has reaped it: no zombie left
    const after = observe(stateDir, system).services.forever;
    expect(after).toMatchObject({ status: 'stale', why: `process ${child.pid} is gone` });
  });

  it('the runner’s own PID with another start time is stale (PID reuse), never running', () => {
    const own = recordFor('reused', process.pid);
    writeRecord(stateDir, { ...own, startTime: String(Number(own.startTime) + 1) });
    expect(observe(stateDir, system).services.reused).toMatchObject({
      status: 'stale',
      why: `pid ${process.pid} now belongs to another process (start time differs)`,
    });
  });

  it('a record from another boot is stale', () => {
    writeRecord(stateDir, recordFor('old', process.pid, { bootId: 'not-this-boot' }));
    expect(observe(stateDir, system).services.old).toMatchObject({ status: 'stale' });
  });

  it('observes 50 records in a few milliseconds', () => {
    const live = recordFor('x', process.pid);
    for (let i = 0; i < 50; i++) {
      // Half alive (our own identity), half gone: both paths of the rule are timed.
      const rec =
        i % 2 === 0 ? { ...live, name: `svc${i}` } : { ...live, name: `svc${i}`, pid: 4_000_000 - i };
      expect(writeRecord(stateDir, rec).ok).toBe(true);
    }
    const times: number[] = [];
    for (let run = 0; run < 30; run++) {
      const start = performance.now();
      const observed = observe(stateDir, system);
      times.push(performance.now() - start);
      expect(Object.keys(observed.services)).toHaveLength(50);
      expect(observed.warnings).toEqual([]);
    }
    times.sort((a, b) => a - b);
    const median = times[15] ?? Number.NaN;
    console.log(
      `observe, 50 records: median ${median.toFixed(2)} ms, min ${times[0]?.toFixed(2)} ms, max ${times[29]?.toFixed(2)} ms`,
    );
    // The best run measures the work; the median also measures the neighbours on a busy 2-core
    // box (load above 10 seen while the suite runs). The bound is a tripwire for a regression in
    // kind (a `ps` per record, a rescan per record), not the budget: unloaded, the best is ~3 ms.
    expect(times[0]).toBeLessThan(100);
  });
});
