import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure functions, beside the code) and `db` (anything touching a database:
// `*.db.test.ts` and the cross-stage tests in test/). `npm test` runs `db` twice: on PGlite and on the
// local PostgreSQL (FINREP_TEST_DB=postgres).
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
        test: { name: 'db', include: ['src/**/*.db.test.ts', 'test/**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});
