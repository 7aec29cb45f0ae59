import { defineConfig } from 'vitest/config';

/**
 * The conformance stage: the scenarios against VOLMIG_TARGET = sandbox | realcinder | keystone
 * (see test/conformance/lib/target.ts). Files run one after another: they share one Cinder and its pools.
 * Needs `npm run build` first (the scenarios run the built bin/volmig.js as a subprocess).
 * The keystone target is the realcinder Cinder with Keystone in front: what Keystone changes is how volmig finds and
 * authenticates to it, so it runs the read scenarios and the Keystone ones (05, with migrate --wait through a real
 * token; 07 and 08, the configuration rules), not again every migration the realcinder target has just run.
 */
const keystone = process.env.VOLMIG_TARGET === 'keystone';
const KEYSTONE_FILES = ['01-read', '05-keystone', '07-keystone-config', '08-openstack-config'];

export default defineConfig({
  test: {
    include: keystone ? KEYSTONE_FILES.map((f) => `test/conformance/scenarios/${f}.test.ts`) : ['test/conformance/scenarios/*.test.ts'],
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
