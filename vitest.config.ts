import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure functions, beside the code) and `db` (anything touching a database:
// `*.db.test.ts` and the cross-stage tests in test/). `npm test` runs `db` twice: on PGlite and on the
// local PostgreSQL (FINREP_TEST_DB=postgres).
/** Cross-stage tests that use no database (Redis, Compose, the CLI on files, promtool). */
const NO_DATABASE = [
  'test/channels-platforms.test.ts',
  'test/channels-schemas.test.ts',
  'test/cli-queue.test.ts',
  'test/dedup-cli.test.ts',
  'test/deliver-rate.test.ts',
  'test/deploy-static.test.ts',
  'test/extract-cli.test.ts',
  'test/ops-metrics-rules.test.ts',
  'test/redis-sentinel.test.ts',
  'test/redis-tls.test.ts',
  'test/security-licenses.test.ts',
  'test/security-secrets.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], exclude: ['src/**/*.db.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'db',
          include: ['src/**/*.db.test.ts', 'test/**/*.test.ts'],
          // Files in test/ that open no database run in the PGlite pass only: twice would prove nothing more.
          // So do the console's pages in Chromium (`*.browser.test.ts`): the HTTP tests of the same pages run
          // their queries on both databases; the browser adds layout and scripts, which the database does not change.
          exclude: process.env.FINREP_TEST_DB === 'postgres' ? [...NO_DATABASE, 'test/**/*.browser.test.ts'] : [],
          fileParallelism: false,
        },
      },
    ],
  },
});
