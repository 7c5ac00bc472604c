/**
 * The events stream's rows (dashboard/live-rows.ts): a full gather only when the cheap look
 * changed, while something starts, or every FULL_LOOK_MS — never a stale answer about what
 * runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FULL_LOOK_MS, liveRows } from '../../src/dashboard/live-rows.js';
import type { StatusRow } from '../../src/engine/status.js';
import { createLinuxSystem } from '../../src/runtime/linux-system.js';
import { desiredIn, service } from '../helpers/desired.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(status: StatusRow['status'] = 'stopped') {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-live-'));
  dirs.push(dir);
  const desired = { ...desiredIn(dir, 'p', [service('web')]), stateDir: join(dir, '.uiprocs') };
  const clock = { t: 1_000_000 };
  let gathers = 0;
  let rowStatus = status;
  const rows = liveRows(
    createLinuxSystem(),
    async () => {
      gathers++;
      return [{ name: 'web', status: rowStatus, health: null } as StatusRow];
    },
    () => clock.t,
  );
  return { desired, clock, rows, gathers: () => gathers, set: (s: StatusRow['status']) => (rowStatus = s) };
}

describe('liveRows', () => {
  it('gathers once, then only every FULL_LOOK_MS while nothing changed', async () => {
    const t = setup();
    await t.rows(t.desired);
    t.clock.t += 1000;
    await t.rows(t.desired);
    expect(t.gathers()).toBe(1);
    t.clock.t += FULL_LOOK_MS;
    await t.rows(t.desired);
    expect(t.gathers()).toBe(2);
  });

  it('gathers every time while a service is starting, and when the manifest’s services change', async () => {
    const t = setup('starting');
    await t.rows(t.desired);
    await t.rows(t.desired);
    expect(t.gathers()).toBe(2);
    t.set('running');
    await t.rows(t.desired);
    await t.rows(t.desired);
    expect(t.gathers()).toBe(3);
    await t.rows({
      ...t.desired,
      services: { ...t.desired.services, api: { ...t.desired.services.web!, name: 'api' } },
    });
    expect(t.gathers()).toBe(4);
  });
});
