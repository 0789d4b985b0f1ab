import { defineConfig } from 'vitest/config';

/**
 * Four layers, one command (`npm test`):
 * - unit: pure code, no I/O;
 * - integration: real handlers on DynamoDB Local + fauxqs, started once on free loopback ports;
 * - infra: CDK `Template` assertions on the synthesized stacks;
 * - e2e: `npm start`'s entry point as a child process, over HTTP.
 */
export default defineConfig(({ mode }) => ({
  test: {
    // Quiet handler logs in test output; a test that inspects logs sets its own level.
    env: {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
      // `npm run test:soak` (`--mode soak`): the reliability suites with long settings.
      ...(mode === 'soak' ? { FUZZ_RUNS: process.env.FUZZ_RUNS ?? '500' } : {}),
    },
    coverage: {
      provider: 'v8',
      include: ['functions/**', 'client/**', 'local/**'],
      reporter: ['text-summary', 'html'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
          // Seconds, not half a minute: most of the unit run was each file importing the same modules
          // (zod, the AWS SDK, edge/http) into a fresh child process. Worker threads that keep their
          // module graph between files import each module once per worker. The price: a unit test file
          // must leave the process as it found it (env through vi.stubEnv + vi.unstubAllEnvs, real
          // timers back, servers closed; test/support/unit-hygiene.ts fails a file that does not), and
          // module-level caches are shared between files.
          pool: 'threads',
          isolate: false,
          setupFiles: ['test/support/unit-hygiene.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // client/build.ts: builds client/dist, which test/integration/client.test.ts imports as a merchant would.
          globalSetup: [
            'test/support/emulators.global.ts',
            'test/support/dashboard.global.ts',
            'client/build.ts',
          ],
          setupFiles: ['test/support/emulators.env.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
}));
