/**
 * The one converge (engine/converge.ts) with its real effects, on a fake process table and a
 * fake clock: what it plans, what reaches the renderer, what the guard and a dry run leave
 * alone, and that the lock is free again afterwards. (Starting real processes is the e2e
 * tests' part; here a stale record and a `down` exercise the effects without any.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectId } from '../../src/core/identity.js';
import type { ExecEvent } from '../../src/core/renderer.js';
import { type ConvergeView, converge } from '../../src/engine/converge.js';
import { acquireLock } from '../../src/state/lock.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { readRecord, writeRecord } from '../../src/state/store.js';
import { desiredIn, service } from '../helpers/desired.js';
import { FakeClock, FakeSystem, record, removeTempDirs, tempDir } from './state-support.js';

afterEach(removeTempDirs);

function recording(): ConvergeView & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    plan: (p) => seen.push(`plan ${p.actions.map((a) => `${a.kind} ${a.service}`).join(', ') || 'nothing'}`),
    event: (e: ExecEvent) => seen.push(`${e.type} ${e.action.service}`),
    waitLock: () => seen.push('wait'),
  };
}

function project() {
  const dir = tempDir('uiprocs-converge-');
  const desired = desiredIn(dir, 'demo', [service('web', {}, dir)]);
  const system = new FakeSystem();
  const clock = new FakeClock();
  // A record whose process is gone (the fake table does not list pid 4242): stale.
  const stale = record('web', { project: projectId('demo', desired.stateDir), cwd: dir });
  return { dir, desired, system, clock, stale };
}

describe('converge', () => {
  it('a down forgets a stale record through the effects, and the renderer sees plan then steps', async () => {
    const { desired, system, clock, stale } = project();
    expect(ensureStateDir(desired.stateDir).ok).toBe(true);
    expect(writeRecord(desired.stateDir, stale).ok).toBe(true);
    const view = recording();
    const done = await converge(desired, { command: 'down', targets: [] }, { system, clock, env: {} }, view);
    expect(done.ok).toBe(true);
    expect(view.seen).toEqual(['plan remove-stale web', 'begin web', 'done web']);
    expect(readRecord(desired.stateDir, 'web')).toEqual({ ok: true, value: undefined });
    // The lock is free again: another command takes it at once.
    const lock = await acquireLock(desired.stateDir, { command: 'test', system, clock });
    expect(lock.ok).toBe(true);
    if (lock.ok) lock.value();
  });

  it('a guard that says no (under the lock) changes nothing', async () => {
    const { desired, system, clock, stale } = project();
    ensureStateDir(desired.stateDir);
    expect(writeRecord(desired.stateDir, stale).ok).toBe(true);
    let asked = 0;
    const view = recording();
    const done = await converge(
      desired,
      {
        command: 'down',
        targets: [],
        guard: async () => {
          asked++;
          return false;
        },
      },
      { system, clock, env: {} },
      view,
    );
    expect(done.ok && done.value.plan.actions).toEqual([]);
    expect(asked).toBe(1);
    expect(view.seen).toEqual([]);
    expect(readRecord(desired.stateDir, 'web')).toMatchObject({ ok: true, value: { pid: stale.pid } });
  });

  it('a dry run plans and creates nothing: no state dir, no lock', async () => {
    const { desired, system, clock } = project();
    const view = recording();
    const done = await converge(
      desired,
      { command: 'up', targets: [], dryRun: true },
      { system, clock, env: {} },
      view,
    );
    expect(done.ok && done.value.plan.actions.map((a) => a.kind)).toEqual(['start']);
    expect(view.seen).toEqual(['plan start web']);
    expect(existsSync(desired.stateDir)).toBe(false);
    expect(existsSync(join(desired.stateDir, 'run'))).toBe(false);
  });
});
