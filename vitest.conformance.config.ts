import { defineConfig } from 'vitest/config';

/**
 * The conformance stage: the same scenarios against VOLMIG_TARGET = sandbox | realcinder | keystone
 * (see test/conformance/lib/target.ts). Files run one after another: they share one Cinder and its pools.
 * Needs `npm run build` first (the scenarios run the built bin/volmig.js as a subprocess).
 * 05-keystone only means something with Keystone in front of Cinder, so it runs on that target only.
 */
const keystone = process.env.VOLMIG_TARGET === 'keystone';

export default defineConfig({
  test: {
    include: ['test/conformance/scenarios/*.test.ts'],
    exclude: keystone ? [] : ['test/conformance/scenarios/05-keystone.test.ts'],
    globalSetup: ['test/conformance/global-setup.ts'],
    fileParallelism: false,
    sequence: { shuffle: false },
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['verbose'],
  },
});
