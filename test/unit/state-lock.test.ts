import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempPathFor } from '../../src/state/atomic-file.js';
import { acquireLock, GARBAGE_GRACE_MS, type LockHolder, type Release } from '../../src/state/lock.js';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { FakeClock, FakeSystem, removeTempDirs, tempDir } from './state-support.js';

let stateDir: string;
let lockPath: string;
let system: FakeSystem;
let clock: FakeClock;
const releases: Release[] = [];

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
  lockPath = statePaths(stateDir).lock;
  system = new FakeSystem();
  clock = new FakeClock();
});
afterEach(() => {
  for (const release of releases.splice(0)) release();
  removeTempDirs();
});

function holder(overrides: Partial<LockHolder> = {}): LockHolder {
  return {
    pid: 7777,
    startTime: '555',
    bootId: 'boot-a',
    command: 'uiprocs up',
    acquiredAt: '2026-01-01T00:00:00.000Z',
    token: 'other',
    ...overrides,
  };
}

function plant(path: string, h: LockHolder | string): void {
  writeFileSync(path, typeof h === 'string' ? h : JSON.stringify(h));
}

async function take(opts: Partial<Parameters<typeof acquireLock>[1]> = {}) {
  const r = await acquireLock(stateDir, { command: 'uiprocs test', clock, system, ...opts });
  if (r.ok) releases.push(r.value);
  return r;
}

describe('free lock', () => {
  it('is taken at once, carries our identity, and release is idempotent', async () => {
    const r = await take();
    expect(r.ok).toBe(true);
    const content = JSON.parse(readFileSync(lockPath, 'utf8')) as LockHolder;
    expect(content).toMatchObject({
      pid: process.pid,
      startTime: 'self-start',
      bootId: 'boot-a',
      command: 'uiprocs test',
    });
    expect(clock.now()).toBe(0);
    if (!r.ok) return;
    r.value();
    expect(existsSync(lockPath)).toBe(false);
    r.value();
    expect((await take()).ok).toBe(true);
  });

  it('leaves no temp files in the state dir', async () => {
    await take();
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(stateDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('sweeps old temp files of dead waiters, never those of a live (long) waiter', async () => {
    const { utimesSync } = await import('node:fs');
    // Names as a waiter makes them; the dead one's PID swapped for one that cannot exist.
    const live = tempPathFor(lockPath);
    const dead = live.replace(`.lock.${process.pid}.`, '.lock.4000000.');
    const past = new Date(Date.now() - 120_000);
    for (const path of [dead, live]) {
      writeFileSync(path, '{}');
      utimesSync(path, past, past);
    }
    await take();
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('a stale release does not remove a lock someone else holds now', async () => {
    const first = await take();
    if (!first.ok) throw new Error('no lock');
    // Simulate the first lock having been broken and re-taken by another process.
    plant(lockPath, holder({ pid: process.pid, startTime: 'self-start', token: 'someone-else' }));
    first.value();
    expect(existsSync(lockPath)).toBe(true);
  });

  it('registers an exit handler while held and removes it on release', async () => {
    const before = process.listenerCount('exit');
    const r = await take();
    expect(process.listenerCount('exit')).toBe(before + 1);
    if (r.ok) r.value();
    expect(process.listenerCount('exit')).toBe(before);
  });
});

describe('live holder', () => {
  beforeEach(() => {
    system.add(7777, '555');
    plant(lockPath, holder());
  });

  it('waits, calls onWait once after 1 s, and times out naming the holder', async () => {
    const onWait = vi.fn((_h: { pid: number; command: string; since: string }) => {
      expect(clock.now()).toBeGreaterThanOrEqual(1000);
      expect(clock.now()).toBeLessThan(1100);
    });
    const r = await take({ onWait, timeoutMs: 5000 });
    expect(onWait).toHaveBeenCalledTimes(1);
    expect(onWait).toHaveBeenCalledWith({
      pid: 7777,
      command: 'uiprocs up',
      since: '2026-01-01T00:00:00.000Z',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe('lock-failed');
      expect('message' in r.error && r.error.message).toMatch(/held by pid 7777 \(uiprocs up\)/);
    }
    expect(clock.now()).toBeGreaterThanOrEqual(5000);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(7777);
  });

  it('polls every 25–50 ms', async () => {
    const sleeps: number[] = [];
    const sleep = clock.sleep.bind(clock);
    clock.sleep = (ms) => {
      sleeps.push(ms);
      return sleep(ms);
    };
    await take({ timeoutMs: 2000 });
    expect(Math.min(...sleeps)).toBeGreaterThanOrEqual(25);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(50);
  });

  it('is taken as soon as the holder releases', async () => {
    const pending = take({ timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 30));
    const { unlinkSync } = await import('node:fs');
    unlinkSync(lockPath);
    const r = await pending;
    expect(r.ok).toBe(true);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
  });
});

describe('taking over a lock that cannot be believed', () => {
  it.each([
    ['a dead holder', () => undefined],
    ['a zombie holder', () => system.add(7777, '555', 'Z')],
    ['a reused PID (start time differs)', () => system.add(7777, '999')],
    [
      'a holder from a previous boot',
      () => {
        system.add(7777, '555');
        system.boot = 'boot-b';
      },
    ],
  ])('%s is taken over at once, without onWait', async (_label, arrange) => {
    arrange();
    plant(lockPath, holder());
    const onWait = vi.fn();
    const r = await take({ onWait });
    expect(r.ok).toBe(true);
    expect(onWait).not.toHaveBeenCalled();
    expect(clock.now()).toBeLessThan(100);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    expect(existsSync(statePaths(stateDir).lockBreak)).toBe(false);
  });

  it('a garbage lock file is taken over after a short grace', async () => {
    plant(lockPath, 'garbage!');
    const r = await take();
    expect(r.ok).toBe(true);
    expect(clock.now()).toBeGreaterThanOrEqual(GARBAGE_GRACE_MS);
    expect(clock.now()).toBeLessThan(GARBAGE_GRACE_MS + 100);
  });

  it('an empty lock file (a writer between open and write) is not broken at once', async () => {
    plant(lockPath, '');
    const sleep = clock.sleep.bind(clock);
    let sleeps = 0;
    clock.sleep = (ms) => {
      // Before the grace is over, that writer finishes: its lock is live and must be respected.
      if (++sleeps === 1) {
        system.add(7777, '555');
        plant(lockPath, holder());
      }
      return sleep(ms);
    };
    const r = await take({ timeoutMs: 500 });
    expect(r.ok).toBe(false);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(7777);
  });

  it('a breaker left by a dead process is itself broken', async () => {
    plant(lockPath, holder({ pid: 7777 }));
    plant(statePaths(stateDir).lockBreak, holder({ pid: 8888, token: 'dead-breaker' }));
    const r = await take();
    expect(r.ok).toBe(true);
    expect(existsSync(statePaths(stateDir).lockBreak)).toBe(false);
  });

  it('a live breaker is respected: the waiter does not break the lock itself', async () => {
    system.add(8888, '1');
    plant(lockPath, holder({ pid: 7777 }));
    plant(statePaths(stateDir).lockBreak, holder({ pid: 8888, startTime: '1', token: 'busy' }));
    const r = await take({ timeoutMs: 300 });
    expect(r.ok).toBe(false);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(7777);
  });
});

describe('in-process contenders', () => {
  it('serialise: never two holders at once, all get their turn', async () => {
    plant(lockPath, holder({ pid: 7777 })); // dead: every contender sees it and wants to break it
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    const contender = async (i: number) => {
      const r = await acquireLock(stateDir, {
        command: `c${i}`,
        clock: new FakeClock(),
        system,
        timeoutMs: 60_000,
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      inside++;
      maxInside = Math.max(maxInside, inside);
      order.push(i);
      await new Promise((res) => setTimeout(res, 5));
      inside--;
      r.value();
    };
    await Promise.all([0, 1, 2, 3, 4].map(contender));
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(existsSync(lockPath)).toBe(false);
  });
});
