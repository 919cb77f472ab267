/**
 * `/healthz` and `/metrics` while the web's own pool is busy: every connection of `finrep web`'s pool is held
 * in an open transaction (as the console's requests hold it under load), and both must still read the
 * database, on connections of their own (`finrep-health`, `finrep-metrics`), which the server's close then
 * ends. Runs in the PostgreSQL pass: PGlite has one connection in the process, no pool to exhaust.
 */
import { sql } from 'drizzle-orm';
import pgDriver from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWeb } from '../src/cli/web.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Database } from '../src/db/client.ts';
import { HEALTH_APPLICATION_NAME } from '../src/db/queries/health.ts';
import { silentLogger } from '../src/log.ts';
import { METRICS_APPLICATION_NAME } from '../src/ops/metrics-cluster.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { SECRET, webConfig } from './helpers/web.ts';

const POOL_SIZE = 2;

/** The database's sessions by application_name and state, from a one-off connection (not the app's pool). */
async function sessions(url: string): Promise<{ app: string; state: string | null }[]> {
  const client = new pgDriver.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ app: string; state: string | null }>(
      'select application_name as app, state from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rows;
  } finally {
    await client.end();
  }
}

const count = (rows: { app: string; state: string | null }[], app: string, state?: string) =>
  rows.filter((r) => r.app === app && (state === undefined || r.state === state)).length;

/** Asks `read` until `done` holds of its answer (at most ~10 s), and returns the last answer. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 200 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

describe.runIf(TEST_DB === 'postgres')('/healthz and /metrics with the web pool exhausted', () => {
  let t: TestDatabase;
  let database: Database;
  let url: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    url = t.databaseUrl!;
    database = await openDatabase({ databaseUrl: url, dataDir: t.dataDir, migrate: false, poolSize: POOL_SIZE });
  });
  afterAll(async () => {
    await database?.close();
    await t?.drop();
  });

  it('still read the database on their own connections, which finrep web closes on shutdown', async () => {
    const config = webConfig({
      FINREP_DATA_DIR: t.dataDir,
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      HEALTH_CHECK_TIMEOUT_MS: '3000',
      JWT_SECRET_KEY: SECRET,
    });
    // What `finrep web` runs, in this process: its close is the one SIGTERM calls.
    const web = await startWeb({ config, log: silentLogger() }, database, { host: '127.0.0.1', port: 0 });
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pool = (database.db as unknown as { $client: pgDriver.Pool }).$client;
    const held = Array.from({ length: POOL_SIZE }, () =>
      database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await gate;
      }),
    );
    let waiting: Promise<unknown> | null = null;
    try {
      const busy = await until(
        () => sessions(url),
        (rows) => count(rows, '', 'idle in transaction') === POOL_SIZE,
      );
      expect(count(busy, '', 'idle in transaction')).toBe(POOL_SIZE);
      // The app's own next query waits for a connection: the pool is exhausted.
      waiting = database.db.execute(sql`select 1`);
      expect(pool.totalCount).toBe(POOL_SIZE);
      expect(pool.idleCount).toBe(0);
      expect(pool.waitingCount).toBeGreaterThanOrEqual(1);

      const health = await fetch(`${web.url}/healthz`, { signal: AbortSignal.timeout(30_000) });
      const report = (await health.json()) as { failing: string[]; checks: Record<string, Record<string, unknown>> };
      expect(report.failing).toEqual([]);
      expect(health.status).toBe(200);
      expect(report.checks.database).toMatchObject({ status: 'ok', kind: 'postgres' });

      const metrics = await fetch(`${web.url}/metrics`, { signal: AbortSignal.timeout(30_000) });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('finrep_collector_up{collector="database"} 1');
      expect(text).toMatch(/^finrep_llm_spent_cny\{period="day"\} 0$/m);
      expect(text).toMatch(/^finrep_edition_overdue [01]$/m);

      const during = await sessions(url);
      expect(count(during, HEALTH_APPLICATION_NAME)).toBe(1);
      expect(count(during, METRICS_APPLICATION_NAME)).toBe(1);
    } finally {
      release();
      await Promise.all(held);
      await waiting;
      await web.close();
    }
    // Closed with the server, while this process (which would otherwise hold them) lives on.
    const after = await until(
      () => sessions(url),
      (rows) => count(rows, HEALTH_APPLICATION_NAME) + count(rows, METRICS_APPLICATION_NAME) === 0,
    );
    expect(count(after, HEALTH_APPLICATION_NAME)).toBe(0);
    expect(count(after, METRICS_APPLICATION_NAME)).toBe(0);
  });
});
