/**
 * `down` and processes no record covers: a CLI killed between spawn and record, or a
 * damaged record removed, leaves live processes carrying a service's tag. `down` must
 * still stop them (by tag: remove-stale), and only `down` plans for them.
 */
import { describe, expect, it } from 'vitest';
import type { Desired, Observed } from '../../src/core/model.js';
import { formatPlan, plan } from '../../src/core/plan.js';
import { desired as desiredOf, service } from '../helpers/desired.js';

const desired: Desired = desiredOf(service('api'), service('web', { dependsOn: { api: 'started' } }));

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
