import { defineConfig } from 'vitest/config';

// Tests that need a real service (RabbitMQ, later real Cinder); run by test/integration/run.sh, which starts them.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.integration.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    pool: 'forks',
    fileParallelism: false,
  },
});
