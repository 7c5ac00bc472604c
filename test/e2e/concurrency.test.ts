/**
 * Concurrency through the CLI: seeded schedules in several terminals beside a watch
 * (test/soak/concurrency.test.ts runs more), and the lock-wait notice.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { getSystem } from '../../src/runtime/system.js';
import { acquireLock } from '../../src/state/lock.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { concurrentSchedule } from './concurrency-scenario.js';
import { answers, baseSeed } from './faults.js';
import { type E2eProject, e2eProject, programs } from './harness.js';

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('seeded schedules', () => {
  const seed = baseSeed();
  it(`2 schedules of 3 terminals × 4 commands beside a watch (seed ${seed}): no duplicate, no lost record, no deadlock`, async () => {
    for (const s of [seed, seed + 1]) {
      const stats = await concurrentSchedule(s);
      console.log(
        `schedule seed ${s}: ${stats.commands} commands in ${stats.ms} ms, slowest ${stats.slowestMs} ms`,
      );
    }
  }, 240_000);
});

describe('waiting for the lock', () => {
  it('a command waiting for the lock says who holds it after about a second, then proceeds', async () => {
    const p = e2eProject();
    project = p;
    const port = await freePort();
    p.write(
      `services:\n  web: { command: [node, ${join(programs, 'serve.mjs')}, "${port}"], port: ${port} }\n`,
    );
    expect(ensureStateDir(p.stateDir).ok).toBe(true);
    const held = await acquireLock(p.stateDir, {
      command: 'uiprocs up',
      clock: systemClock,
      system: getSystem(),
    });
    if (!held.ok) throw new Error(JSON.stringify(held.error));
    const t0 = performance.now();
    const cli = p.start(['up']);
    let stderr = '';
    let noticedAt = 0;
    cli.stderr?.on('data', (d) => {
      stderr += String(d);
      if (!noticedAt && stderr.includes('waiting for the lock')) noticedAt = performance.now() - t0;
    });
    const exited = new Promise<number | null>((r) => cli.once('exit', r));
    await waitFor(() => noticedAt > 0, { timeout: 10_000, what: 'the lock-wait notice' });
    expect(stderr).toContain(`waiting for the lock held by pid ${process.pid} (uiprocs up)`);
    // One second of waiting comes before the notice (plus the CLI's own start-up).
    expect(noticedAt).toBeGreaterThanOrEqual(1000);
    expect(noticedAt).toBeLessThan(6000);
    expect(await answers(port)).toBe(false); // nothing happened while the lock was held
    held.value();
    expect(await exited).toBe(0);
    expect(await answers(port)).toBe(true);
  }, 30_000);
});
