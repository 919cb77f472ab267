/**
 * `/healthz` over a stalled PostgreSQL: a private cluster (initdb in a temp folder) whose every process is
 * SIGSTOPped — the server accepts connections in the kernel and never answers. /healthz must still answer
 * 503 naming the database within the check's timeout, on every request, without piling up connections.
 * Then the same cluster stopped (the database really gone): /healthz and /metrics both say so, and read it
 * again once it is back. Runs in the PostgreSQL pass (`npm run test:pg`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import pgDriver from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import type { Database } from '../src/db/client.ts';
import { HEALTH_APPLICATION_NAME } from '../src/db/queries/health.ts';
import { TEST_DB } from './helpers/db.ts';
import { HAS_PG15, privatePostgres } from './helpers/private-servers.ts';
import type { PrivatePostgres } from './helpers/private-servers.ts';
import { startTestServer, webConfig } from './helpers/web.ts';

const TIMEOUT_MS = 400;

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

/** The postmaster of a backend and all its children (the cluster's processes). */
function clusterProcesses(backendPid: number): number[] {
  const postmaster = parentOf(backendPid);
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return parentOf(pid) === postmaster;
      } catch {
        return false; // gone meanwhile
      }
    });
  return [postmaster, ...children];
}

/** Sends `sig` to each process still there (a backend may end meanwhile). */
function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

/** The cluster's processes, found from a backend of a one-off connection (which is left out: it ends). */
async function clusterOf(url: string): Promise<number[]> {
  const client = new pgDriver.Client({ connectionString: url });
  await client.connect();
  try {
    const backend = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    return clusterProcesses(backend).filter((pid) => pid !== backend);
  } finally {
    await client.end();
  }
}

/** One value from a one-off connection (not the app's pool). */
async function query<T>(url: string, text: string): Promise<T> {
  const client = new pgDriver.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ v: T }>(text)).rows[0]!.v;
  } finally {
    await client.end();
  }
}

async function healthz(base: string) {
  const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { failing: string[]; checks: Record<string, Record<string, unknown>> };
  return { status: res.status, body };
}

describe.runIf(TEST_DB === 'postgres' && HAS_PG15)('/healthz over a stalled PostgreSQL (SIGSTOP)', () => {
  let pg: PrivatePostgres;
  let database: Database;
  let stopped: number[] = [];
  beforeAll(async () => {
    pg = await privatePostgres();
    const url = await pg.createDatabase('finrep_health');
    // Migrated: /metrics reads the editions and the LLM ledger.
    database = await openDatabase({ databaseUrl: url, dataDir: '/nonexistent-unused' });
  });
  afterAll(async () => {
    signal(stopped, 'SIGCONT');
    await database?.close();
    await pg?.destroy();
  });

  it('answers 503 naming the database within the check timeout, and 200 once it runs again', async () => {
    const config = webConfig({ DATABASE_URL: pg.url('finrep_health'), HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS) });
    const { app, base } = await startTestServer(database.db, config);
    try {
      expect((await healthz(base)).status).toBe(200);
      stopped = await clusterOf(pg.url('finrep_health'));
      signal(stopped, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 300)); // past the 250 ms for which the last result answers

      const answers = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const a = await healthz(base);
        answers.push({ ...a, ms: performance.now() - t0 });
      }
      for (const a of answers) {
        expect(a.status).toBe(503);
        expect(a.body.failing).toEqual(['database']);
        expect(a.body.checks.database).toMatchObject({ status: 'fail', message: `no answer within ${TIMEOUT_MS} ms` });
        expect(a.body.checks.disk).toMatchObject({ status: 'ok' });
      }
      // The first request waited for the whole deadline; the next ones found the same check still running
      // past its deadline and answered at once, instead of starting another query.
      expect(answers[0]!.body.checks.database!.latency_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      process.stdout.write(
        `stalled PostgreSQL: /healthz answered in ${answers.map((a) => Math.round(a.ms)).join(', ')} ms\n`,
      );

      signal(stopped, 'SIGCONT');
      stopped = [];
      let back = await healthz(base);
      for (let i = 0; i < 100 && back.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        back = await healthz(base);
      }
      expect(back.status).toBe(200);
      // One query was stuck, not one per request: the check's own connection (the stuck one, answered since)
      // and at most the app pool's idle one.
      const sessions = await query<number>(
        pg.url(),
        "select count(*)::int as v from pg_stat_activity where datname = 'finrep_health'",
      );
      expect(sessions).toBeLessThanOrEqual(2);
      const own = await query<number>(
        pg.url(),
        `select count(*)::int as v from pg_stat_activity where datname = 'finrep_health' and application_name = '${HEALTH_APPLICATION_NAME}'`,
      );
      expect(own).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('with the database gone, /healthz and /metrics say so, and read it again once it is back', async () => {
    // A password in the URL (the cluster trusts it) must appear in no answer.
    const secret = 's3cret-health-pw';
    const url = pg.url('finrep_health').replace('postgres@', `postgres:${secret}@`);
    const config = webConfig({ DATABASE_URL: url, HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS) });
    const { app, base } = await startTestServer(database.db, config);
    const metrics = async () => {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return res.text();
    };
    const databaseUp = /^finrep_collector_up\{collector="database"\} (\d)$/m;
    try {
      expect((await healthz(base)).status).toBe(200);
      expect(databaseUp.exec(await metrics())?.[1]).toBe('1');
      await pg.stop('fast');

      // The check's connection learns of the shutdown (57P01) or finds it gone at its next ping.
      let down = await healthz(base);
      for (let i = 0; i < 100 && down.status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 50));
        down = await healthz(base);
      }
      expect(down.status).toBe(503);
      expect(down.body.failing).toEqual(['database']);
      expect(JSON.stringify(down.body)).not.toContain(secret);
      // The metrics' figures are read at most once a second per scrape: wait for one taken after the stop.
      let text = await metrics();
      for (let i = 0; i < 100 && databaseUp.exec(text)?.[1] !== '0'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        text = await metrics();
      }
      expect(databaseUp.exec(text)?.[1]).toBe('0');
      expect(text).not.toMatch(/^finrep_llm_spent_cny/m);
      expect(text).not.toContain(secret);

      await pg.start();
      let back = await healthz(base);
      for (let i = 0; i < 100 && back.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        back = await healthz(base);
      }
      expect(back.status).toBe(200);
      let again = await metrics();
      for (let i = 0; i < 100 && databaseUp.exec(again)?.[1] !== '1'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        again = await metrics();
      }
      expect(databaseUp.exec(again)?.[1]).toBe('1');
    } finally {
      await app.close();
    }
  });
});
