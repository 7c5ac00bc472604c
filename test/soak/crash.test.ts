/** Soak: 200 seeded kill -9 runs (SOAK=1, `npm run soak`). */
import { expect, it } from 'vitest';
import { crashRuns } from '../e2e/crash-scenario.js';
import { baseSeed } from '../e2e/faults.js';

it('200 seeded kill -9 runs converge', async () => {
  const seed = baseSeed();
  const stats = await crashRuns(seed, 200);
  console.log(`crash soak: seed ${seed}, ${stats.runs} runs in ${stats.ms} ms`, stats.byCommand);
  expect(stats.runs).toBe(200);
}, 1_800_000);
