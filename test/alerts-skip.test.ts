/**
 * When an alert run does not run: a scheduled fire with no enabled rule (nothing recorded), and a run that
 * starts while another is live (it skips; the live one goes on) — unless the live one's lease has run out.
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
import { editionsQ, runsQ, sourcesQ } from '../src/db/queries/index.ts';
import { runs } from '../src/db/schema/index.ts';
import { createLogger, silentLogger } from '../src/log.ts';
import type { EditionJob, JobHandle } from '../src/pipeline/queue.ts';
import { clock, feed, TZ } from './helpers/alert-world.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
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

  const runNow = () =>
    runAlertsNow({
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
  }, 120_000);

  it('a live-looking run whose lease ran out (no sign of life for 15 min) does not block the next', async () => {
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
      .set({ startedAt: sql`now() - interval '16 minutes'` })
      .where(eq(runs.id, dead));
    await runsQ.addRunEvent(t.db, { runId: dead, kind: 'start', message: 'collect' });
    // A run event is a sign of life: the run is still live.
    const blocked = await runNow();
    expect(blocked).toMatchObject({ run_id: dead, skipped: expect.stringMatching(/dead:1/) });
    await t.db.execute(sql`update run_events set at = now() - interval '16 minutes' where run_id = ${dead}`);
    requests = 0;
    const next = await runNow();
    expect(isSkippedAlertRun(next)).toBe(false);
    expect(requests).toBe(1);
    expect((await runsQ.getRun(t.db, dead))?.status).toBe('running');
  }, 120_000);
});
