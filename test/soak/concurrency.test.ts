/** Soak: 20 seeded concurrent schedules of 4 terminals × 6 commands beside a watch. */
import { it } from 'vitest';
import { concurrentSchedule } from '../e2e/concurrency-scenario.js';
import { baseSeed } from '../e2e/faults.js';

it('20 concurrent schedules', async () => {
  const seed = baseSeed();
  let commands = 0;
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) commands += (await concurrentSchedule(seed + i, 4, 6)).commands;
  console.log(
    `concurrency soak: seed ${seed}, 20 schedules, ${commands} commands in ${Math.round(performance.now() - t0)} ms`,
  );
}, 3_600_000);
