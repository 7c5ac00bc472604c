/**
 * kill -9 of the CLI at random points of up/down/restart: 20 seeded runs here, as two
 * projects of 10 side by side (about 35 s on two busy cores); `npm run soak` does 200
 * (test/soak/crash.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { crashRuns } from './crash-scenario.js';
import { baseSeed } from './faults.js';

const seed = baseSeed();

describe.concurrent('kill -9 at random points', () => {
  for (const offset of [0, 1]) {
    it(`10 seeded runs (seed ${seed + offset}): ps tells the truth, up converges to one process each, down leaves nothing`, async () => {
      const stats = await crashRuns(seed + offset, 10);
      console.log(
        `crash consistency: seed ${seed + offset}, ${stats.runs} runs in ${stats.ms} ms`,
        stats.byCommand,
      );
      expect(stats.runs).toBe(10);
    }, 180_000);
  }
});
