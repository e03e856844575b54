import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The cluster suite (`npm run test:cluster`) starts the whole local cluster itself (PostgreSQL, the real Temporal
// server, FerretDB on PostgreSQL, and Threds as separate processes), so it is not a project of `npm test`.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    name: 'cluster',
    include: ['test/cluster/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
    sequence: { concurrent: false },
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
