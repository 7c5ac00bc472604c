import { describe, expect, it } from 'vitest';
import type { Observed, RunRecord } from '../../src/core/model.js';
import { backoffDelay, DEFAULT_BACKOFF, decide, freshBackoff } from '../../src/core/restart-policy.js';
import {
  decideSupervisor,
  judgeTick,
  mayNeedSupervision,
  needsDutyHolder,
  needsSupervision,
  servesDashboard,
  supervisedAmong,
} from '../../src/core/supervision.js';
import { runningAfter } from '../../src/engine/ensure-supervisor.js';
import { step } from '../../src/supervisor/lifecycle.js';
import { desiredIn, service } from '../helpers/desired.js';

const project = desiredIn('/p', 'p', [
  service('web', { restart: 'always' }),
  service('api', { restart: 'on-failure' }),
  service('db'),
]);

describe('needsSupervision', () => {
  it('is the restart policy: always and on-failure need a supervisor, no does not', () => {
    expect(needsSupervision(project.services.web!)).toBe(true);
    expect(needsSupervision(project.services.api!)).toBe(true);
    expect(needsSupervision(project.services.db!)).toBe(false);
  });
  it('is also a watch: on the sources, whatever the restart policy', () => {
    const watched = service('ui', {
      watch: { paths: ['src'], ignore: [], action: 'restart', debounceMs: 300 },
    });
    expect(needsSupervision(watched)).toBe(true);
    expect(mayNeedSupervision(desiredIn('/p', 'p', [watched]))).toBe(true);
  });
  it('holds the duties for every running service, in manifest order (restart: no ones for their log stamps), and none under supervise: false', () => {
    expect(supervisedAmong(project, new Set(['db', 'api', 'web']))).toEqual(['web', 'api', 'db']);
    expect(supervisedAmong(project, new Set(['db']))).toEqual(['db']);
    expect(supervisedAmong(project, new Set())).toEqual([]);
    expect(supervisedAmong({ ...project, supervise: false }, new Set(['web']))).toEqual([]);
    expect(mayNeedSupervision(project)).toBe(true);
    expect(mayNeedSupervision(desiredIn('/p', 'p', [service('db')]))).toBe(true);
    expect(mayNeedSupervision({ ...project, supervise: false })).toBe(false);
  });
  it('does not hold them for a one-shot task: its lines get derived times', () => {
    const withTask = desiredIn('/p', 'p', [
      service('build'),
      service('web', { dependsOn: { build: 'completed' } }),
    ]);
    expect(needsDutyHolder(withTask, 'build')).toBe(false);
    expect(needsDutyHolder(withTask, 'web')).toBe(true);
    expect(supervisedAmong(withTask, new Set(['build']))).toEqual([]);
  });
});

describe('decideSupervisor', () => {
  it('spawns one when a supervised service runs and nobody holds the duties, saying why', () => {
    expect(decideSupervisor({ supervised: ['web'], holder: { kind: 'none' } })).toEqual({
      action: 'spawn',
      cause: 'web need a supervisor',
      names: ['web'],
    });
    expect(
      decideSupervisor({ supervised: ['web'], holder: { kind: 'stale-supervisor', pid: 42 } }),
    ).toMatchObject({
      action: 'spawn',
      cause: 'web need a supervisor; the last one (pid 42) is gone',
    });
  });
  it('leaves a live supervisor or watch alone (the second of two ups starts none)', () => {
    expect(decideSupervisor({ supervised: ['web'], holder: { kind: 'supervisor', pid: 7 } })).toEqual({
      action: 'leave',
      cause: 'supervisor (pid 7) keeps web alive',
    });
    expect(decideSupervisor({ supervised: ['web', 'api'], holder: { kind: 'watch', pid: 8 } })).toEqual({
      action: 'leave',
      cause: 'uiprocs watch (pid 8) keeps web, api alive',
    });
  });
  it('starts none without supervised services, with --no-supervise or supervise: false', () => {
    expect(decideSupervisor({ supervised: [], holder: { kind: 'none' } }).action).toBe('none');
    expect(decideSupervisor({ supervised: ['web'], holder: { kind: 'none' }, optOut: true })).toEqual({
      action: 'none',
      cause: '--no-supervise',
    });
    expect(
      decideSupervisor({ supervised: ['web'], holder: { kind: 'none' }, manifestOptOut: true }).cause,
    ).toBe('supervise: false in the manifest');
  });
});

describe('judgeTick', () => {
  const base = {
    stateDirGone: false,
    recordIsMine: true,
    watchPid: undefined,
    supervised: ['web'],
    pendingRestarts: 0,
  };
  it('stays while something supervised runs or a restart is pending', () => {
    expect(judgeTick(base)).toEqual({ action: 'stay' });
    expect(judgeTick({ ...base, supervised: [], pendingRestarts: 1 })).toEqual({ action: 'stay' });
  });
  it('leaves when nothing is left, the state dir is gone, its record was taken, or watch took over', () => {
    expect(judgeTick({ ...base, supervised: [] })).toEqual({
      action: 'exit',
      why: 'nothing it supervises runs any more',
    });
    expect(judgeTick({ ...base, stateDirGone: true }).action).toBe('exit');
    expect(judgeTick({ ...base, recordIsMine: false }).action).toBe('exit');
    expect(judgeTick({ ...base, watchPid: 9 })).toEqual({
      action: 'exit',
      why: 'uiprocs watch (pid 9) took the duties over',
    });
  });
});

describe('supervisor lifecycle', () => {
  it('starting → supervising → handing-over → exiting, and a signal ends any phase', () => {
    let s = step({ phase: 'starting' }, { type: 'claimed', at: 5 });
    expect(s).toEqual({ phase: 'supervising', since: 5 });
    expect(step(s, { type: 'tick', verdict: { action: 'stay' } })).toBe(s);
    s = step(s, { type: 'tick', verdict: { action: 'exit', why: 'watch' }, watchPid: 9 });
    expect(s).toEqual({ phase: 'handing-over', to: 9 });
    s = step(s, { type: 'handed-over' });
    expect(s).toEqual({ phase: 'exiting', why: 'uiprocs watch (pid 9) holds the duties' });
    expect(step(s, { type: 'claimed', at: 6 })).toBe(s);
    expect(step({ phase: 'starting' }, { type: 'not-mine' }).phase).toBe('exiting');
    expect(step({ phase: 'supervising', since: 1 }, { type: 'signal', signal: 'SIGTERM' })).toEqual({
      phase: 'exiting',
      why: 'SIGTERM received',
    });
  });
});

describe('runningAfter', () => {
  const record = (name: string) => ({ name, pid: 1 }) as RunRecord;
  it('is what ran, minus what the plan stopped, plus what it started', () => {
    const observed: Observed = {
      services: {
        web: { name: 'web', status: 'running', record: record('web') },
        api: { name: 'api', status: 'running', record: record('api') },
        db: { name: 'db', status: 'absent' },
      },
      warnings: [],
    };
    const plan = {
      actions: [{ kind: 'stop' as const, service: 'api', cause: 'removed from manifest' }],
      notes: [],
      awaitReady: [],
    };
    expect([...runningAfter(observed, plan, [record('db')]).keys()].sort()).toEqual(['db', 'web']);
  });
});

describe('backoff firstDelayMs', () => {
  it('makes only the first restart of a streak fast; the doubling goes on from the second', () => {
    const config = { ...DEFAULT_BACKOFF, firstDelayMs: 100 };
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, config))).toEqual([100, 2000, 4000, 8000]);
    const first = decide(
      freshBackoff(),
      { name: 'web', restart: 'always', maxRestarts: 5 },
      { code: null },
      0,
      config,
    );
    expect(first.decision).toEqual({ action: 'restart', delayMs: 100, attempt: 1 });
  });
});

describe('the dashboard keeps a supervisor', () => {
  const withDashboard = { ...desiredIn('/p', 'p', [service('db')]), dashboard: { port: 8765 } };
  it('is wanted while any service runs, not when none does or supervise is false', () => {
    expect(mayNeedSupervision(withDashboard)).toBe(true);
    expect(servesDashboard(withDashboard, new Set(['db']))).toBe(true);
    expect(servesDashboard(withDashboard, new Set())).toBe(false);
    expect(servesDashboard({ ...withDashboard, supervise: false }, new Set(['db']))).toBe(false);
    expect(servesDashboard(project, new Set(['db']))).toBe(false);
  });

  it('spawns a supervisor for it, and one stays for it, with no restart policy anywhere', () => {
    expect(decideSupervisor({ supervised: [], holder: { kind: 'none' }, serveDashboard: true })).toEqual({
      action: 'spawn',
      cause: 'the dashboard needs a supervisor',
      names: [],
    });
    const tick = {
      stateDirGone: false,
      recordIsMine: true,
      watchPid: undefined,
      supervised: [],
      pendingRestarts: 0,
    };
    expect(judgeTick({ ...tick, serveDashboard: true })).toEqual({ action: 'stay' });
    expect(judgeTick(tick)).toMatchObject({ action: 'exit' });
    expect(judgeTick({ ...tick, serveDashboard: true, stateDirGone: true })).toMatchObject({
      action: 'exit',
    });
  });
});
