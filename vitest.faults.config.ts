import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (test/faults/): volmig in-process against the sandbox behind a fault-injecting proxy.
 * Run by .ci/run as stage 3b-faults; globalSetup prints the figures table and fails the run when a figure that
 * must be 0 is not.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/faults/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
