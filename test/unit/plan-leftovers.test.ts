/**
 * `down` and processes no record covers: a CLI killed between spawn and record, or a
 * damaged record removed, leaves live processes carrying a service's tag. `down` must
 * still stop them (by tag: remove-stale), and only `down` plans for them.
 */
import { describe, expect, it } from 'vitest';
import type { Desired, Observed, ServiceSpec } from '../../src/core/model.js';
import { formatPlan, plan } from '../../src/core/plan.js';

function service(name: string, dependsOn: string[] = []): ServiceSpec {
  return {
    name,
    command: `serve ${name}`,
    port: null,
    groups: [],
    cwd: '/p',
    env: {},
    envFiles: [],
    log: { path: `/p/.uiprocs/logs/${name}.log`, maxSize: 10_000_000, keep: 3 },
    dependsOn: Object.fromEntries(dependsOn.map((d) => [d, 'started' as const])),
    ready: { check: { kind: 'alive' }, timeout: 60_000, interval: 100 },
    stopSignal: 'SIGTERM',
    stopTimeout: 10_000,
    restart: 'no',
    maxRestarts: 5,
    disabled: false,
  };
}

const desired: Desired = {
  project: 'p',
  projectDir: '/p',
  manifestPath: '/p/ui-procs.yaml',
  stateDir: '/p/.uiprocs',
  services: { api: service('api'), web: service('web', ['api']) },
  groups: {},
};

describe('down with leftovers', () => {
  it('stops by tag what no record covers: manifest services and names that left the manifest', () => {
    const observed: Observed = {
      services: { api: { name: 'api', status: 'absent' } },
      warnings: [],
      leftovers: ['api', 'gone'],
    };
    expect(formatPlan(plan(desired, observed, { command: 'down', targets: [] }))).toBe(
      [
        'remove-stale gone  no run record, but processes carry its tag',
        'remove-stale api   no run record, but processes carry its tag',
        '',
      ].join('\n'),
    );
  });

  it('with targets, only the targets (and their dependents) are swept', () => {
    const observed: Observed = { services: {}, warnings: [], leftovers: ['api', 'web'] };
    expect(formatPlan(plan(desired, observed, { command: 'down', targets: ['web'] }))).toBe(
      'remove-stale web  no run record, but processes carry its tag\n',
    );
  });

  it('without leftovers nothing changes: absent services need no action', () => {
    const observed: Observed = { services: {}, warnings: [] };
    expect(formatPlan(plan(desired, observed, { command: 'down', targets: [] }))).toBe('nothing to do\n');
  });

  it('up ignores the field: a start already stops leftovers first', () => {
    const observed: Observed = { services: {}, warnings: [], leftovers: ['gone'] };
    expect(plan(desired, observed, { command: 'up', targets: [] }).actions.map((a) => a.service)).toEqual([
      'api',
      'web',
    ]);
  });
});
