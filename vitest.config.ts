import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The soak variants (test/soak) run only under `npm run soak` (SOAK=1).
    exclude: process.env.SOAK ? ['node_modules/**'] : ['test/soak/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and e2e tests spawn real servers; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
    // Ports handed out by freePort() are claimed across workers for the whole run.
    globalSetup: ['./test/helpers/port-registry.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
