/**
 * `limits:` from the manifest to the plan (issue #14, manifest side): defaults merged key
 * by key, the config hash of a service without limits exactly what earlier versions wrote
 * (so upgrading recreates nothing), a changed limit recreating that service alone with the
 * limit named, and `config` printing them. The error corpus (test/fixtures/manifests/bad/
 * limits-*) holds the diagnostics; the export goldens the systemd and compose mapping.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configHash, shapeChanges, shapeOf } from '../../src/core/hash.js';
import type { Desired, Limits, Observed, RunRecord, ServiceExit, ServiceSpec } from '../../src/core/model.js';
import { formatPlan, type PlanRequest, plan } from '../../src/core/plan.js';
import { loadManifest } from '../../src/manifest/load.js';
import { toPlain } from '../../src/manifest/print.js';
import { resolveLimits } from '../../src/manifest/resolve.js';
import { desired, service } from '../helpers/desired.js';

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
    startedAt: '2026-01-01T00:00:00.000Z',
    restarts: 0,
    ...(exit ? { exit } : {}),
  };
}

const running = (...specs: ServiceSpec[]): Observed => ({
  services: Object.fromEntries(
    specs.map((s) => [s.name, { name: s.name, status: 'running' as const, record: record(s) }]),
  ),
  warnings: [],
});

const up: PlanRequest = { command: 'up', targets: [] };

describe('resolveLimits: the service over defaults, key by key', () => {
  it('merges key by key, the service winning, sizes in bytes', () => {
    expect(resolveLimits({ memory: '512MB', open_files: 4096 }, { cpu: 1.5, memory: '1.5GB' })).toEqual({
      memory: 1.5 * 1024 ** 3,
      cpu: 1.5,
      openFiles: 4096,
    });
    expect(resolveLimits(undefined, { memory: '512MiB', processes: 64 })).toEqual({
      memory: 512 * 1024 ** 2,
      processes: 64,
    });
    expect(resolveLimits({ memory: '1G' }, undefined)).toEqual({ memory: 1024 ** 3 });
    expect(resolveLimits(undefined, { memory: 1048576 })).toEqual({ memory: 1048576 });
  });

  it('is undefined without a key: absent, empty, or empty on both sides', () => {
    expect(resolveLimits(undefined, undefined)).toBeUndefined();
    expect(resolveLimits({}, {})).toBeUndefined();
    expect(resolveLimits(undefined, {})).toBeUndefined();
  });

  it('never holds an undefined key (it would still change the hashed text)', () => {
    const l = resolveLimits({ cpu: 2 }, { memory: undefined });
    expect(Object.keys(l!)).toEqual(['cpu']);
  });
});

describe('limits in a loaded manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uiprocs-limits-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function load(yaml: string): Promise<Desired> {
    writeFileSync(join(dir, 'ui-procs.yaml'), yaml);
    const r = await loadManifest({ cwd: dir, env: { HOME: '/nonexistent', UIPROCS_NO_CACHE: '1' } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  }

  it('gives a task the defaults, a service its own over them, and none to a service without', async () => {
    const d = await load(
      [
        'version: 1',
        'defaults:',
        '  limits: { memory: 256MB }',
        'services:',
        '  setup: { command: ./migrate.sh }',
        '  web:',
        '    command: node server.js',
        '    depends_on: { setup: { condition: completed } }',
        '    limits: { cpu: 0.5, open_files: 1024 }',
        '',
      ].join('\n'),
    );
    expect(d.services.setup!.limits).toEqual({ memory: 256 * 1024 ** 2 });
    expect(d.services.web!.limits).toEqual({ memory: 256 * 1024 ** 2, cpu: 0.5, openFiles: 1024 });
    const none = await load('version: 1\nservices:\n  web:\n    command: a\n    limits: {}\n');
    expect(none.services.web).not.toHaveProperty('limits');
  });

  it('is printed by config with the manifest names, only when set', async () => {
    const d = await load(
      'version: 1\nservices:\n  web: { command: a, limits: { memory: 1GB, open_files: 64 } }\n  api: { command: b }\n',
    );
    const plain = toPlain(d) as { services: Record<string, Record<string, unknown>> };
    expect(plain.services.web!.limits).toEqual({ memory: 1024 ** 3, open_files: 64 });
    expect(plain.services.api).not.toHaveProperty('limits');
  });
});

describe('toPlain: the enforcement hook', () => {
  it('adds limits.enforced for the limits set, only when the caller says how they hold', () => {
    const web = service('web', { limits: { memory: 1024 ** 3, openFiles: 64 } });
    const seen: string[] = [];
    const plain = toPlain(desired(web, service('api')), {
      enforcement: (s) => {
        seen.push(s.name);
        return { memory: 'watched', open_files: 'rlimit', cpu: 'not enforced' };
      },
    }) as { services: Record<string, Record<string, unknown>> };
    // cpu is not a limit of web: nothing is said about it.
    expect(plain.services.web!.limits).toEqual({
      memory: 1024 ** 3,
      open_files: 64,
      enforced: { memory: 'watched', open_files: 'rlimit' },
    });
    expect(seen).toEqual(['web']);
    expect(plain.services.api).not.toHaveProperty('limits');
  });
});

describe('limits in the config hash', () => {
  const nodeSha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

  it('a service without limits hashes exactly as before limits existed', () => {
    const web = service('web', { port: 8080, env: { A: '1' } });
    const before =
      '{"command":"serve web","cwd":"/p","env":{"A":"1"},"logPath":"/p/.uiprocs/logs/web.log","port":8080}';
    expect(configHash(shapeOf(web))).toBe(nodeSha(before));
    expect(shapeOf(web)).not.toHaveProperty('limits');
    // Nor does a limits object with nothing set, or only undefined keys, change it.
    expect(configHash(shapeOf({ ...web, limits: {} }))).toBe(nodeSha(before));
    expect(configHash(shapeOf({ ...web, limits: { memory: undefined } as Limits }))).toBe(nodeSha(before));
  });

  it('a limit changes the hash, whatever order its keys were written in', () => {
    const plainWeb = service('web');
    const a = service('web', { limits: { memory: 1024 ** 3, cpu: 1 } });
    const b = service('web', { limits: { cpu: 1, memory: 1024 ** 3 } });
    expect(configHash(shapeOf(a))).not.toBe(configHash(shapeOf(plainWeb)));
    expect(configHash(shapeOf(a))).toBe(configHash(shapeOf(b)));
    expect(configHash(shapeOf(service('web', { limits: { memory: 1024 ** 3, cpu: 2 } })))).not.toBe(
      configHash(shapeOf(a)),
    );
  });

  it('shapeChanges names each changed limit by its manifest name', () => {
    const was = shapeOf(service('web', { limits: { memory: 1, cpu: 1, openFiles: 10 } }));
    const now = shapeOf(service('web', { limits: { memory: 2, cpu: 1, processes: 5 } }));
    expect(shapeChanges(was, now)).toEqual(['limits.memory', 'limits.processes', 'limits.open_files']);
    // A record written before limits existed has no `limits` in its shape.
    expect(shapeChanges(shapeOf(service('web')), now)).toEqual([
      'limits.memory',
      'limits.cpu',
      'limits.processes',
    ]);
    // A record from disk may hold anything there: it is read field by field, not trusted.
    const odd = { ...was, limits: 'junk' as unknown as Limits };
    expect(shapeChanges(odd, now)).toEqual(['limits.memory', 'limits.cpu', 'limits.processes']);
  });
});

describe('plan with limits', () => {
  const api = service('api');
  const web = service('web', { limits: { memory: 512 * 1024 ** 2 } });

  it('recreates only the service whose limit changed, naming it', () => {
    const bigger = service('web', { limits: { memory: 1024 ** 3 } });
    const p = plan(desired(api, bigger), running(api, web), up);
    expect(formatPlan(p)).toBe('recreate     web  config changed: limits.memory\n');
  });

  it('recreates a service that gains or loses its limits, and nothing when they stay', () => {
    expect(formatPlan(plan(desired(api, web), running(api, service('web')), up))).toBe(
      'recreate     web  config changed: limits.memory\n',
    );
    expect(formatPlan(plan(desired(api, service('web')), running(api, web), up))).toBe(
      'recreate     web  config changed: limits.memory\n',
    );
    expect(plan(desired(api, web), running(api, web), up).actions).toEqual([]);
  });

  it('runs a completed task again when its limits changed', () => {
    const setup = service('setup', { command: './migrate.sh', limits: { cpu: 1 } });
    const waiter = service('waiter', { dependsOn: { setup: 'completed' } });
    const done: Observed = {
      services: {
        setup: {
          name: 'setup',
          status: 'stale',
          record: record(setup, { code: 0, signal: null, finishedAt: '2026-01-01T00:00:00.000Z' }),
          why: 'process 100 exited with code 0',
        },
        waiter: { name: 'waiter', status: 'running', record: record(waiter) },
      },
      warnings: [],
    };
    const faster = { ...setup, limits: { cpu: 2 } };
    expect(formatPlan(plan(desired(faster, waiter), done, up))).toBe(
      'start        setup  config changed: limits.cpu\n',
    );
    expect(plan(desired(setup, waiter), done, up).actions).toEqual([]);
  });
});
