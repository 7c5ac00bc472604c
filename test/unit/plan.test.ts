import { describe, expect, it } from 'vitest';
import { configHash, shapeOf } from '../../src/core/hash.js';
import type { Desired, Observed, RunRecord, ServiceSpec } from '../../src/core/model.js';
import { formatPlan, plan } from '../../src/core/plan.js';
import { desired, service } from '../helpers/desired.js';

function record(spec: ServiceSpec, pid = 100): RunRecord {
  const shape = shapeOf(spec);
  return {
    version: 1,
    name: spec.name,
    project: 'p',
    pid,
    pgid: pid,
    sid: pid,
    startTime: '1',
    bootId: 'b',
    configHash: configHash(shape),
    shape,
    port: typeof spec.port === 'number' ? spec.port : null,
    command: spec.command,
    cwd: spec.cwd,
    logPath: spec.log.path,
    startedAt: '2026-01-01T00:00:00.000Z',
    restarts: 0,
  };
}

function running(...specs: ServiceSpec[]): Observed['services'] {
  return Object.fromEntries(
    specs.map((s) => [s.name, { name: s.name, status: 'running', record: record(s) }]),
  );
}

const obs = (services: Observed['services'] = {}): Observed => ({ services, warnings: [] });

describe('plan up', () => {
  const api = service('api');
  const web = service('web', { dependsOn: { api: 'ready' } });
  const docs = service('docs');

  it('starts everything in dependency order when nothing runs', () => {
    expect(formatPlan(plan(desired(web, api, docs), obs(), { command: 'up', targets: [] }))).toBe(
      [
        'start        api   not running',
        'start        docs  not running',
        'start        web   not running',
        '',
      ].join('\n'),
    );
  });

  it('does nothing when everything runs with the same config', () => {
    const p = plan(desired(web, api), obs(running(web, api)), { command: 'up', targets: [] });
    expect(p.actions).toEqual([]);
    // …but up still confirms that what runs is ready.
    expect(p.awaitReady).toEqual(['api', 'web']);
    expect(formatPlan(p)).toBe('nothing to do\n');
  });

  it('recreates only the service whose command or env changed, naming the fields', () => {
    const changed = service('api', { command: 'serve api --fast', env: { MODEL: 'large' } });
    const before = { ...api, env: { MODEL: 'small' } };
    const p = plan(desired(web, changed), obs(running(web, before)), { command: 'up', targets: [] });
    expect(formatPlan(p)).toBe('recreate     api  config changed: command, env.MODEL\n');
  });

  it('does not recreate for settings that do not shape the process', () => {
    const tweaked = service('api', {
      groups: ['ui'],
      stopTimeout: 1,
      restart: 'always',
      ready: { check: { kind: 'tcp' }, timeout: 1, interval: 1 },
      log: { ...api.log, maxSize: 1, keep: 9 },
    });
    expect(plan(desired(tweaked), obs(running(api)), { command: 'up', targets: [] }).actions).toEqual([]);
  });

  it('brings up the dependencies of a target and says who needs them', () => {
    const p = plan(desired(web, api, docs), obs(), { command: 'up', targets: ['web'] });
    expect(formatPlan(p)).toBe(
      'start        api  not running; needed by web\nstart        web  not running\n',
    );
  });

  it('replaces a stale record with a start and says why', () => {
    const p = plan(
      desired(api),
      obs({ api: { name: 'api', status: 'stale', record: record(api), why: 'process 100 is gone' } }),
      { command: 'up', targets: [] },
    );
    expect(formatPlan(p)).toBe('start        api  not running (process 100 is gone)\n');
  });

  it('leaves orphans running unless asked, and removes their stale records', () => {
    const gone = service('old');
    const ghost = service('ghost');
    const observed = obs({
      ...running(gone),
      ghost: { name: 'ghost', status: 'stale', record: record(ghost), why: 'process 100 is gone' },
    });
    expect(formatPlan(plan(desired(), observed, { command: 'up', targets: [] }))).toBe(
      [
        'remove-stale ghost  removed from manifest (process 100 is gone)',
        'note: old runs but is no longer in the manifest; --remove-orphans stops it',
        '',
      ].join('\n'),
    );
    expect(formatPlan(plan(desired(), observed, { command: 'up', targets: [], removeOrphans: true }))).toBe(
      [
        'stop         old    removed from manifest',
        'remove-stale ghost  removed from manifest (process 100 is gone)',
        '',
      ].join('\n'),
    );
  });

  it('stops only the named orphans with removeNames (watch: removed while it watched)', () => {
    const observed = obs({ ...running(service('left')), ...running(service('before')) });
    expect(formatPlan(plan(desired(), observed, { command: 'up', targets: [], removeNames: ['left'] }))).toBe(
      [
        'stop         left  removed from manifest',
        'note: before runs but is no longer in the manifest; --remove-orphans stops it',
        '',
      ].join('\n'),
    );
  });

  it('skips disabled services unless targeted', () => {
    const off = service('off', { disabled: true });
    expect(plan(desired(off), obs(), { command: 'up', targets: [] }).actions).toEqual([]);
    expect(formatPlan(plan(desired(off), obs(), { command: 'up', targets: ['off'] }))).toBe(
      'start        off  not running\nnote: off is disabled in the manifest; starting it as asked\n',
    );
  });
});

describe('plan down', () => {
  const api = service('api');
  const web = service('web', { dependsOn: { api: 'ready' } });
  const docs = service('docs');

  it('stops everything, dependents first, orphans included', () => {
    const orphan = service('orphan');
    const p = plan(desired(api, web, docs), obs(running(api, web, docs, orphan)), {
      command: 'down',
      targets: [],
    });
    expect(formatPlan(p)).toBe(
      [
        'stop         orphan  down (not in the manifest)',
        'stop         web     down',
        'stop         docs    down',
        'stop         api     down',
        '',
      ].join('\n'),
    );
  });

  it('stops the running dependents of a target too', () => {
    const p = plan(desired(api, web, docs), obs(running(api, web, docs)), {
      command: 'down',
      targets: ['api'],
    });
    expect(formatPlan(p)).toBe('stop         web  depends on api\nstop         api  down requested\n');
  });

  it('only forgets stale records; nothing is signalled for them', () => {
    const p = plan(
      desired(api),
      obs({
        api: {
          name: 'api',
          status: 'stale',
          record: record(api),
          why: 'pid 100 now belongs to another process',
        },
      }),
      { command: 'down', targets: [] },
    );
    expect(p.actions).toEqual([
      { kind: 'remove-stale', service: 'api', cause: 'pid 100 now belongs to another process' },
    ]);
  });

  it('has nothing to do when nothing runs', () => {
    expect(plan(desired(api), obs(), { command: 'down', targets: [] }).actions).toEqual([]);
  });

  it('from the run records alone (manifest unusable), stops every record without calling it an orphan', () => {
    const fromRecords: Desired = { ...desired(), recordsOnly: true };
    const stale = {
      name: 'docs',
      status: 'stale' as const,
      record: record(docs),
      why: 'process 100 is gone',
    };
    const p = plan(
      fromRecords,
      { ...obs({ ...running(web, api), docs: stale }), leftovers: ['lost'] },
      {
        command: 'down',
        targets: [],
      },
    );
    expect(formatPlan(p)).toBe(
      [
        'stop         web   down',
        'remove-stale lost  no run record, but processes carry its tag',
        'remove-stale docs  process 100 is gone',
        'stop         api   down',
        '',
      ].join('\n'),
    );
  });
});

describe('plan restart', () => {
  it('recreates running targets and starts missing ones, in dependency order', () => {
    const api = service('api');
    const web = service('web', { dependsOn: { api: 'started' } });
    const p = plan(desired(web, api), obs(running(web)), { command: 'restart', targets: [] });
    expect(formatPlan(p)).toBe('start        api  not running\nrecreate     web  restart requested\n');
  });

  it('carries the cause a health restart gives, for the running target only', () => {
    const api = service('api');
    const web = service('web');
    const cause = 'unhealthy: GET /health → 500 (3 in a row)';
    const p = plan(desired(web, api), obs(running(web, api)), {
      command: 'restart',
      targets: ['web'],
      restartCause: cause,
    });
    expect(formatPlan(p)).toBe(`recreate     web  ${cause}\n`);
    // A target that is not running is started as ever: the cause is for a recreate.
    const gone = plan(desired(web), obs(), { command: 'restart', targets: ['web'], restartCause: cause });
    expect(formatPlan(gone)).toBe('start        web  not running\n');
  });

  it('a healthcheck edit changes no config hash: nothing is recreated', () => {
    const before = service('web', { port: 8080 });
    const after = service('web', {
      port: 8080,
      health: {
        check: { kind: 'http', target: '/health' },
        interval: 200,
        timeout: 100,
        retries: 1,
        startPeriod: 0,
      },
    });
    expect(configHash(shapeOf(after))).toBe(configHash(shapeOf(before)));
    expect(plan(desired(after), obs(running(before)), { command: 'up', targets: [] }).actions).toEqual([]);
  });
});
