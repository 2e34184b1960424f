import { defineConfig } from 'vitest/config';

// Tests import the packages through their built entry points (`npm test` runs `tsc -b` first),
// the same code the programs run.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests start real servers and processes; two files at a time fit a 2-core machine.
    maxWorkers: 2,
    pool: 'forks',
  },
});
