/**
 * When an alert run does not run: a scheduled fire with no enabled rule (nothing recorded), and a run that
 * starts while another is live (it skips, and the skip is recorded; the live one goes on) — however long a
 * stage of the live one is silent, since its process renews its lease — unless that lease has run out.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertJobHandler } from '../src/alerts/job.ts';
import type { AlertJobDeps } from '../src/alerts/job.ts';
import { runAlertsNow } from '../src/alerts/local.ts';
import { isSkippedAlertRun } from '../src/alerts/run.ts';
import type { AlertRunSummary, SkippedAlertRun } from '../src/alerts/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { alertsQ, editionsQ, runsQ, sourcesQ } from '../src/db/queries/index.ts';
import { runs } from '../src/db/schema/index.ts';
import { createLogger, silentLogger } from '../src/log.ts';
import type { EditionJob, JobHandle } from '../src/pipeline/queue.ts';
import { clock, feed, TZ } from './helpers/alert-world.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import { startFinrep } from './helpers/delivery.ts';
import type { TestDatabase } from './helpers/db.ts';

describe(`alert runs that do not run (${TEST_DB})`, () => {
  let t: TestDatabase;
  let server: Server;
  let requests = 0;
  /** Feed requests wait for this (opened by the test) to hold a run inside its collect stage. */
  let gate: Promise<void> = Promise.resolve();
  beforeAll(async () => {
    t = await createTestDatabase();
    server = createServer((_req, res) => {
      requests += 1;
      void gate.then(() => {
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
        res.end(feed(clock()));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await sourcesQ.upsertSources(t.db, [
      {
        key: 'flash',
        name: '测试快讯',
        kind: 'rss',
        url: `http://127.0.0.1:${port}/feed.xml`,
        rules: null,
        weight: 1,
        timezone: TZ,
        allowPrivate: true,
      },
    ]);
  }, 120_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.drop();
  });

  const runNow = (o: { heartbeatMs?: number } = {}) =>
    runAlertsNow({
      ...o,
      db: t.db,
      config: loadConfig({ FINREP_DATA_DIR: t.dataDir, TZ }, { envFile: null }),
      log: silentLogger(),
      secret: 'test-secret-0123456789abcdef',
      openMailer: async () => null,
      now: clock,
    });

  it('records no run and collects nothing when no rule is enabled', async () => {
    // Only the database and the logger are reached before the skip: anything else would throw here.
    const deps = { db: t.db, log: createLogger({ level: 'silent' }) } as unknown as AlertJobDeps;
    const job = { data: { trigger: 'alerts' } } as unknown as JobHandle<EditionJob>;
    await expect(alertJobHandler(deps, job)).resolves.toEqual({ skipped: 'no enabled alert rules' });
    expect(await t.db.select().from(runs)).toHaveLength(0);
  });

  it('a run that starts while another is live skips; the live one collects', async () => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    requests = 0;
    // The first run to get past its start holds in collect (the feed waits) until the other has returned.
    const results: (AlertRunSummary | SkippedAlertRun)[] = [];
    const both = [runNow(), runNow()].map((p) =>
      p.then((r) => {
        results.push(r);
        open();
        return r;
      }),
    );
    // Should both collect (no skip), the feed has two requests: let them through so the test ends.
    const bothCollect = (async () => {
      while (results.length === 0 && requests < 2) await new Promise((r) => setTimeout(r, 20));
      open();
    })();
    await Promise.all([...both, bothCollect]);
    const skipped = results.filter(isSkippedAlertRun);
    const ran = results.filter((r): r is AlertRunSummary => !isSkippedAlertRun(r));
    expect(requests).toBe(1);
    expect(skipped).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ run_id: ran[0]!.run_id, skipped: expect.stringMatching(/still running/) });
    expect(ran[0]!.collect).toMatchObject({ sources: 1, new_articles: 2 });
    const recorded = await t.db.select().from(runs).where(eq(runs.trigger, 'alerts'));
    expect(recorded.map((r) => [r.id, r.status])).toEqual([[ran[0]!.run_id, 'ok']]);
    // The skip is kept for the console and `finrep alerts log`: when, and which run held it off.
    const skips = await alertsQ.recentAlertRunSkips(t.db);
    expect(skips).toEqual([expect.objectContaining({ runId: ran[0]!.run_id, worker: expect.any(String) })]);
  }, 120_000);

  it('a stage silent longer than the lease still blocks the next run: the process renews it', async () => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    requests = 0;
    // A heartbeat of 50 ms instead of a minute: the test waits for one renewal, never for the lease.
    const first = runNow({ heartbeatMs: 50 });
    while (requests === 0) await new Promise((r) => setTimeout(r, 10));
    const [held] = await t.db.select().from(runs).where(eq(runs.status, 'running'));
    // As if collect had been silent for 20 minutes: its start and events are old, the lease it took has run out.
    await t.db
      .update(runs)
      .set({ startedAt: sql`now() - interval '20 minutes'`, leaseExpiresAt: sql`now() - interval '5 minutes'` })
      .where(eq(runs.id, held!.id));
    await t.db.execute(sql`update run_events set at = now() - interval '20 minutes' where run_id = ${held!.id}`);
    // Its process is alive and renews the lease.
    const leased = async () =>
      (await t.db.execute(
        sql`select lease_expires_at > now() as live from runs where id = ${held!.id}`,
      )) as unknown as {
        rows: { live: boolean }[];
      };
    while (!(await leased()).rows[0]?.live) await new Promise((r) => setTimeout(r, 20));
    const second = await runNow();
    expect(second).toMatchObject({ run_id: held!.id, skipped: expect.stringMatching(/still running/) });
    expect(requests).toBe(1);
    open();
    const done = await first;
    expect(done).toMatchObject({ run_id: held!.id, status: 'ok' });
    const skips = await alertsQ.recentAlertRunSkips(t.db, 5);
    expect(skips[0]).toMatchObject({ runId: held!.id, holder: { status: 'ok' } });
  }, 120_000);

  it('a run whose process died (its lease ran out, no heartbeat) does not block the next', async () => {
    const date = '2026-01-05';
    const edition = await editionsQ.ensureEdition(
      t.db,
      date,
      new Date('2026-01-04T22:00Z'),
      new Date('2026-01-05T22:00Z'),
    );
    const dead = await runsQ.startRun(t.db, edition.id, 'alerts', { worker: 'dead:1' });
    await t.db
      .update(runs)
      .set({ startedAt: sql`now() - interval '14 minutes'`, leaseExpiresAt: sql`now() + interval '1 minute'` })
      .where(eq(runs.id, dead));
    // Within its lease it is live.
    const blocked = await runNow();
    expect(blocked).toMatchObject({ run_id: dead, skipped: expect.stringMatching(/dead:1/) });
    const [skip] = await alertsQ.recentAlertRunSkips(t.db, 1);
    expect(skip).toMatchObject({ runId: dead, holder: { worker: 'dead:1', status: 'running' } });
    // Its lease ran out: a fresh run event does not make it live again (liveness is the lease alone).
    await t.db
      .update(runs)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(runs.id, dead));
    await runsQ.addRunEvent(t.db, { runId: dead, kind: 'start', message: 'collect' });
    requests = 0;
    const next = await runNow();
    expect(isSkippedAlertRun(next)).toBe(false);
    expect(requests).toBe(1);
    expect((await runsQ.getRun(t.db, dead))?.status).toBe('running');
  }, 120_000);
  it('finrep alerts log lists the newest skips after the alerts; --skipped lists only them', async () => {
    await t.close(); // the child opens it (PGlite belongs to one process)
    const env = { FINREP_DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl ?? undefined, TZ, LOG_LEVEL: 'warn' };
    const log = await startFinrep(['alerts', 'log'], env, t.dataDir).done;
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain('no alerts yet');
    expect(log.stdout).toMatch(/alert runs skipped while another was live/);
    expect(log.stdout).toMatch(/skipped {4}held off by run \d+ \(dead:1, started \S+, running now\); fired by \S+:\d+/);
    const only = await startFinrep(['alerts', 'log', '--skipped', '--json'], env, t.dataDir).done;
    expect(only.code, only.stderr).toBe(0);
    const skips = JSON.parse(only.stdout) as { runId: number; holder: { worker: string | null } }[];
    expect(skips.map((k) => k.holder.worker)).toEqual(['dead:1', expect.any(String), expect.any(String)]);
  }, 120_000);
});
