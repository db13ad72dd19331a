import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'streams/*/tests/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          // A liveness bound, not a speed check: whole topologies driven over thousands of
          // generated events take seconds, and more on a machine shared with running services.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'streams/*/tests/**/*.integration.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          // The real services are shared: one file at a time keeps them from fighting over 2 cores.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
