/**
 * The plan of one-shot tasks (isTask in core/model.ts): a task runs again only when its last run did
 * not complete with exit 0 or its config changed since, `restart` runs it on request, and
 * the plan says why it does or does not act.
 */
import { describe, expect, it } from 'vitest';
import { configHash, shapeOf } from '../../src/core/hash.js';
import type { Observed, RunRecord, ServiceExit, ServiceSpec } from '../../src/core/model.js';
import { isTask, taskNames } from '../../src/core/model.js';
import { formatPlan, plan } from '../../src/core/plan.js';
import { desired, service } from '../helpers/desired.js';

const NOW = Date.parse('2026-01-01T01:00:00.000Z');

function record(spec: ServiceSpec, exit?: ServiceExit): RunRecord {
  const shape = shapeOf(spec);
  return {
    version: 1,
    name: spec.name,
    project: 'p',
    pid: 100,
    pgid: 100,
    sid: 100,
    startTime: '1',
    bootId: 'b',
    configHash: configHash(shape),
    shape,
    port: null,
    command: spec.command,
    cwd: spec.cwd,
    logPath: spec.log.path,
    startedAt: '2026-01-01T00:54:00.000Z',
    restarts: 0,
    ...(exit ? { exit } : {}),
  };
}

const ended = (code: number | null, signal: string | null = null): ServiceExit => ({
  code,
  signal,
  finishedAt: '2026-01-01T00:55:00.000Z',
});

const setup = service('setup', { command: './migrate.sh' });
const web = service('web', { port: 8000, dependsOn: { setup: 'completed' } });
const all = desired(setup, web);

function observed(task: Observed['services'][string] | undefined, webRuns = true): Observed {
  const services: Observed['services'] = {};
  if (task) services.setup = task;
  if (webRuns) services.web = { name: 'web', status: 'running', record: record(web) };
  return { services, warnings: [] };
}
const stale = (spec: ServiceSpec, exit?: ServiceExit) => ({
  name: spec.name,
  status: 'stale' as const,
  record: record(spec, exit),
  why: exit ? `process 100 exited with code ${exit.code}` : 'process 100 is gone',
});

describe('which services are tasks', () => {
  it('is the services some service waits for with condition completed, and only those', () => {
    const db = service('db');
    const api = service('api', { dependsOn: { db: 'ready', setup: 'completed' } });
    const d = desired(setup, db, api);
    expect(isTask(d, 'setup')).toBe(true);
    expect(isTask(d, 'db')).toBe(false);
    expect(isTask(d, 'api')).toBe(false);
    expect([...taskNames(d)]).toEqual(['setup']);
  });
});

describe('plan up of a task', () => {
  it('runs a task that never ran, before its dependent', () => {
    expect(formatPlan(plan(all, observed(undefined, false), { command: 'up', targets: [], now: NOW }))).toBe(
      ['start        setup  not run yet', 'start        web    not running', ''].join('\n'),
    );
  });

  it('leaves a task that completed with this config alone, and says so with its age', () => {
    const p = plan(all, observed(stale(setup, ended(0))), { command: 'up', targets: [], now: NOW });
    expect(p.actions).toEqual([]);
    expect(p.awaitReady).toEqual(['web']);
    expect(formatPlan(p)).toBe('note: setup completed 5m ago, unchanged\n');
  });

  it('says the same, without an age, when no clock was given', () => {
    const p = plan(all, observed(stale(setup, ended(0))), { command: 'up', targets: ['web'] });
    expect(p.notes).toEqual(['setup completed, unchanged']);
  });

  it('says no age when the recorded finish time does not parse', () => {
    const odd = { ...ended(0), finishedAt: 'yesterday' };
    const p = plan(all, observed(stale(setup, odd)), { command: 'up', targets: [], now: NOW });
    expect(p.notes).toEqual(['setup completed, unchanged']);
  });

  it('runs a task again that failed last time, naming the exit code or signal', () => {
    const p = plan(all, observed(stale(setup, ended(1))), { command: 'up', targets: [], now: NOW });
    expect(formatPlan(p)).toBe('start        setup  failed last time (exit 1)\n');
    const killed = plan(all, observed(stale(setup, ended(null, 'SIGKILL'))), { command: 'up', targets: [] });
    expect(formatPlan(killed)).toBe('start        setup  failed last time (SIGKILL)\n');
  });

  it('runs a task again whose end nobody saw (code unknown)', () => {
    const p = plan(all, observed(stale(setup)), { command: 'up', targets: [] });
    expect(formatPlan(p)).toBe(
      "start        setup  its last run's exit code is unknown (process 100 is gone)\n",
    );
  });

  it('runs a completed task again when its config changed, naming what changed', () => {
    const before = { ...setup, command: './migrate.sh --old', env: { DB: 'a' } };
    const p = plan(all, observed(stale(before, ended(0))), { command: 'up', targets: [] });
    expect(formatPlan(p)).toBe('start        setup  config changed: command, env.DB\n');
  });

  it('waits for a task still running (an interrupted up), and recreates it when changed', () => {
    const runs = { name: 'setup', status: 'running' as const, record: record(setup) };
    const p = plan(all, observed(runs), { command: 'up', targets: [] });
    expect(p.actions).toEqual([]);
    expect(p.awaitReady).toEqual(['setup', 'web']);
    const old = { name: 'setup', status: 'running' as const, record: record({ ...setup, command: 'x' }) };
    expect(formatPlan(plan(all, observed(old), { command: 'up', targets: [] }))).toBe(
      'recreate     setup  config changed: command\n',
    );
  });

  it('brings up a target that needs a task, and says who needs it', () => {
    const p = plan(all, observed(undefined, false), { command: 'up', targets: ['web'] });
    expect(formatPlan(p)).toBe(
      ['start        setup  not run yet; needed by web', 'start        web    not running', ''].join('\n'),
    );
  });
});

describe('plan restart of a task', () => {
  it('runs a completed task again on request, and leaves its running dependent alone', () => {
    const p = plan(all, observed(stale(setup, ended(0))), {
      command: 'restart',
      targets: ['setup'],
      now: NOW,
    });
    expect(formatPlan(p)).toBe('start        setup  restart requested\n');
    expect(p.actions.map((a) => a.service)).toEqual(['setup']);
  });

  it('restart of the dependent does not run a completed task again', () => {
    const p = plan(all, observed(stale(setup, ended(0))), { command: 'restart', targets: ['web'], now: NOW });
    expect(formatPlan(p)).toBe(
      ['recreate     web  restart requested', 'note: setup completed 5m ago, unchanged', ''].join('\n'),
    );
  });

  it('restart of everything runs the task first, then recreates its dependent', () => {
    const p = plan(all, observed(stale(setup, ended(0))), { command: 'restart', targets: [], now: NOW });
    expect(formatPlan(p)).toBe(
      ['start        setup  restart requested', 'recreate     web    restart requested', ''].join('\n'),
    );
  });
});

describe('plan down of a task', () => {
  it('forgets a completed task record without a stop: nothing of it runs', () => {
    const p = plan(all, observed(stale(setup, ended(0))), { command: 'down', targets: [] });
    expect(formatPlan(p)).toBe(
      ['stop         web    down', 'remove-stale setup  process 100 exited with code 0', ''].join('\n'),
    );
  });
});
