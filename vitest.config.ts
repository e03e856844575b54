import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no servers (pure patterns/ code); `integration` talks to the real
// Temporal dev server and MongoDB-compatible server that `threds test` starts (see bin/commands/test.ts).
export default defineConfig({
  test: {
    // 2 cores: a couple of files at a time; each integration file isolates itself by database and task queue.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/replay/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts'],
        },
      },
      {
        test: {
          // Property-based fuzzing (fast-check) and schemathesis against a gateway on the real servers.
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 120_000,
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts'],
        },
      },
    ],
  },
});
