/**
 * The intraday alert run on Redis: beat puts the `intraday-alerts` job scheduler in place, replaces it when
 * ALERT_CRON changes and removes it for `off`; a scheduled fire with no enabled rule does nothing on a real
 * worker; `finrep alerts run` with REDIS_URL queues the run to the workers (in process, and — on PostgreSQL,
 * where a second process can share the database — the CLI itself).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRunSummary } from '../src/alerts/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { runsQ, sourcesQ } from '../src/db/queries/index.ts';
import { runs } from '../src/db/schema/index.ts';
import { ALERT_SCHEDULER_ID, startBeat } from '../src/jobs/beat.ts';
import { QUEUE_PREFIX } from '../src/jobs/bullmq.ts';
import { runAlertsViaQueue } from '../src/jobs/client.ts';
import { WORKER_ID } from '../src/jobs/process.ts';
import { startWorker } from '../src/jobs/worker.ts';
import type { RunningWorker } from '../src/jobs/worker.ts';
import { silentLogger } from '../src/log.ts';
import { clock, feed, TZ } from './helpers/alert-world.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { FinrepProcs, finrepEnv, flushRedis, redisUrlFor, waitFor } from './helpers/workers.ts';

/** A Redis db of this file's own (beat's tests use 14, the worker tests 11, the benchmark 5). */
const REDIS_URL = redisUrlFor(3);
const log = silentLogger();

describe(`the alert schedule and queued alert runs on Redis (${TEST_DB})`, () => {
  let t: TestDatabase;
  let redis: Redis;
  let edition: Queue;
  let server: Server;
  let requests = 0;
  let worker: RunningWorker | undefined;
  let procs: FinrepProcs | undefined;
  const config = (alertCron: string) =>
    loadConfig(
      {
        FINREP_DATA_DIR: t.dataDir,
        TZ,
        REDIS_URL,
        ALERT_CRON: alertCron,
        SCHEDULE_CATCHUP_HOURS: '0',
        OPS_ALERT_CRON: 'off',
        JOB_LOCK_SEC: '5',
      },
      { envFile: null },
    );
  const scheduler = () => edition.getJobScheduler(ALERT_SCHEDULER_ID);
  /** The alert jobs the scheduler has put on the edition queue, in any state. */
  const alertJobs = async (): Promise<Job[]> =>
    (await edition.getJobs(['wait', 'delayed', 'active', 'completed', 'failed', 'prioritized'])).filter(
      (j) => j?.data?.trigger === 'alerts' && j.id?.startsWith(`repeat:${ALERT_SCHEDULER_ID}`),
    );
  /** One beat start: puts the schedulers in place, then stops. */
  const beatOnce = async (alertCron: string) => (await startBeat({ db: t.db, config: config(alertCron), log })).stop();

  beforeAll(async () => {
    t = await createTestDatabase();
    procs = new FinrepProcs(t.dataDir);
    await flushRedis(REDIS_URL);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    edition = new Queue('edition', { connection: redis, prefix: QUEUE_PREFIX });
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(feed(clock()));
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
    await procs?.stopAll(10_000);
    await worker?.stop();
    await edition?.close().catch(() => {});
    redis?.disconnect();
    await flushRedis(REDIS_URL).catch(() => {});
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.drop();
  }, 60_000);

  it('beat registers the intraday-alerts scheduler and replaces it when ALERT_CRON changes', async () => {
    await beatOnce('*/10 9-15 * * 1-5');
    expect(await scheduler()).toMatchObject({ pattern: '*/10 9-15 * * 1-5', tz: TZ });
    await beatOnce('*/5 9-15 * * 1-5');
    expect(await scheduler()).toMatchObject({ pattern: '*/5 9-15 * * 1-5', tz: TZ });
    // Its pending fire is the new schedule's: one delayed job, no more.
    expect((await alertJobs()).filter((j) => j.opts.delay !== undefined)).toHaveLength(1);
  });

  it('a scheduled fire with no enabled rule does nothing on a worker', async () => {
    worker = await startWorker(
      { db: t.db, config: config('off'), log, secret: 'test-secret-0123456789abcdef', openMailer: async () => null },
      { heartbeatMs: 1000 },
    );
    // Every 2 seconds: the scheduler itself fires while the worker runs.
    const beat = await startBeat({ db: t.db, config: config('*/2 * * * * *'), log });
    let done: Job[] = [];
    try {
      await waitFor(
        async () => {
          done = (await alertJobs()).filter((j) => j.finishedOn !== undefined);
          return done.length > 0;
        },
        'a scheduled alert job finished',
        30_000,
      );
    } finally {
      await beat.stop();
    }
    expect(done[0]!.returnvalue).toEqual({ skipped: 'no enabled alert rules' });
    expect(done[0]!.failedReason).toBeUndefined();
    expect(await t.db.select().from(runs)).toHaveLength(0);
    expect(requests).toBe(0);
  }, 60_000);

  it('ALERT_CRON=off removes the scheduler and its pending fire', async () => {
    await beatOnce('off');
    expect(await scheduler()).toBeUndefined();
    // No next fire waits (a fire the worker already has may still be finishing).
    const delayed = await edition.getJobs(['delayed']);
    expect(delayed.filter((j) => j.id?.startsWith(`repeat:${ALERT_SCHEDULER_ID}`))).toEqual([]);
    expect(delayed.length).toBeGreaterThan(0); // the edition's own next fire stays
  });

  it('an alert run by hand with REDIS_URL is queued to the workers', async () => {
    const progress: string[] = [];
    const result = await runAlertsViaQueue(
      { db: t.db, config: config('off'), log, progress: (l) => progress.push(l), now: clock },
      { pollMs: 100 },
    );
    if ('skipped' in result) throw new Error(result.skipped);
    const summary: AlertRunSummary = result;
    expect(progress).toContain(`queued as job alerts-r${summary.run_id} (run ${summary.run_id}); waiting for a worker`);
    expect(summary.collect).toMatchObject({ sources: 1, new_articles: 2 });
    const run = await runsQ.getRun(t.db, summary.run_id);
    // The worker ran it (the client only recorded and queued it).
    expect(run).toMatchObject({
      trigger: 'alerts',
      status: 'ok',
      worker: WORKER_ID,
      jobId: `alerts-r${summary.run_id}`,
    });
    expect(requests).toBe(1);
  }, 120_000);

  it.skipIf(TEST_DB !== 'postgres')(
    '`finrep alerts run --json` with REDIS_URL prints the worker’s run id',
    async () => {
      const env = finrepEnv({ dataDir: t.dataDir, databaseUrl: t.databaseUrl!, redisUrl: REDIS_URL });
      const cli = await procs!.start('alerts-run', ['alerts', 'run', '--json'], env).done;
      expect(cli.code, cli.stderr).toBe(0);
      const summary = JSON.parse(cli.stdout.trim()) as AlertRunSummary;
      expect(cli.stderr).toContain(`queued as job alerts-r${summary.run_id}`);
      // Run by this test's worker, not by the CLI's process.
      expect(await runsQ.getRun(t.db, summary.run_id)).toMatchObject({ trigger: 'alerts', worker: WORKER_ID });
    },
    120_000,
  );
});
