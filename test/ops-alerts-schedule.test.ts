/**
 * The operational alerts' schedule on Redis: beat puts the `ops-alerts` job scheduler in place on the `ops`
 * queue (OPS_ALERT_CRON, every 5 minutes by default), replaces it when the cron changes and removes it for
 * `off`; a fire runs the check on a worker's `ops` queue, apart from the edition's.
 */
import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { OPS_ALERT_SCHEDULER_ID, startBeat, startLocalScheduler } from '../src/jobs/beat.ts';
import type { JobQueue } from '../src/jobs/queue.ts';
import { QUEUE_PREFIX } from '../src/jobs/bullmq.ts';
import { startWorker } from '../src/jobs/worker.ts';
import { silentLogger } from '../src/log.ts';
import type { OpsCheckSummary } from '../src/ops/ops-alerts.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { flushRedis, redisUrlFor, waitFor } from './helpers/workers.ts';

/** A Redis db of this file's own (beat's tests use 14, the alert schedule 3, the worker tests 11). */
const REDIS_URL = redisUrlFor(8);
const TZ = 'Asia/Shanghai';
const log = silentLogger();

describe(`the operational alerts' schedule on Redis (${TEST_DB})`, () => {
  let t: TestDatabase;
  let redis: Redis;
  let ops: Queue;
  const config = (opsCron: string | undefined) =>
    loadConfig(
      {
        FINREP_DATA_DIR: t.dataDir,
        TZ,
        REDIS_URL,
        ALERT_CRON: 'off',
        SCHEDULE_CATCHUP_HOURS: '0',
        ...(opsCron === undefined ? {} : { OPS_ALERT_CRON: opsCron }),
        JOB_LOCK_SEC: '5',
      },
      { envFile: null },
    );
  const scheduler = () => ops.getJobScheduler(OPS_ALERT_SCHEDULER_ID);
  const opsJobs = async (): Promise<Job[]> =>
    (await ops.getJobs(['wait', 'delayed', 'active', 'completed', 'failed', 'prioritized'])).filter((j) =>
      j?.id?.startsWith(`repeat:${OPS_ALERT_SCHEDULER_ID}`),
    );
  const beatOnce = async (opsCron: string | undefined) =>
    (await startBeat({ db: t.db, config: config(opsCron), log })).stop();

  beforeAll(async () => {
    t = await createTestDatabase();
    await flushRedis(REDIS_URL);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    ops = new Queue('ops', { connection: redis, prefix: QUEUE_PREFIX });
  }, 120_000);
  afterAll(async () => {
    await ops?.close().catch(() => {});
    redis?.disconnect();
    await flushRedis(REDIS_URL).catch(() => {});
    await t?.drop();
  }, 60_000);

  it('beat registers ops-alerts every 5 minutes by default and replaces it when OPS_ALERT_CRON changes', async () => {
    await beatOnce(undefined);
    expect(await scheduler()).toMatchObject({ pattern: '*/5 * * * *', tz: TZ });
    await beatOnce('*/15 * * * *');
    expect(await scheduler()).toMatchObject({ pattern: '*/15 * * * *', tz: TZ });
    expect((await opsJobs()).filter((j) => j.finishedOn === undefined)).toHaveLength(1);
  });

  it('a fire runs the check on a worker (nothing to send without targets)', async () => {
    const worker = await startWorker(
      { db: t.db, config: config('off'), log, secret: 'test-secret-0123456789abcdef', openMailer: async () => null },
      { heartbeatMs: 1000, queues: ['ops'] },
    );
    const beat = await startBeat({ db: t.db, config: config('*/2 * * * * *'), log });
    let done: Job[] = [];
    try {
      await waitFor(
        async () => {
          done = (await opsJobs()).filter((j) => j.finishedOn !== undefined);
          return done.length > 0;
        },
        'a scheduled ops check finished',
        30_000,
      );
    } finally {
      await beat.stop();
      await worker.stop();
    }
    expect(done[0]!.failedReason).toBeUndefined();
    expect(done[0]!.returnvalue as OpsCheckSummary).toMatchObject({ skipped: 'no targets', opened: [] });
  }, 60_000);

  it('OPS_ALERT_CRON=off removes the scheduler and its pending fire', async () => {
    await beatOnce('off');
    expect(await scheduler()).toBeUndefined();
    expect((await opsJobs()).filter((j) => j.finishedOn === undefined)).toHaveLength(0);
  });

  it('the embedded scheduler queues a check on the in-process ops queue at each OPS_ALERT_CRON fire', async () => {
    const added: { queue: string; id: string }[] = [];
    const queue = {
      add: async (q: string, jobs: { id: string }[]) => void added.push(...jobs.map((j) => ({ queue: q, id: j.id }))),
      close: async () => {},
    } as unknown as JobQueue;
    const local = (cron: string) =>
      startLocalScheduler({ db: t.db, config: { ...config(cron), redisUrl: null }, log, queue, refreshMs: 200 });
    const every = await local('* * * * * *'); // every second
    try {
      await waitFor(async () => added.some((a) => a.queue === 'ops'), 'an ops check queued', 10_000);
    } finally {
      await every.stop();
    }
    expect(added.find((a) => a.queue === 'ops')!.id).toMatch(/^ops-\d+$/);
    added.length = 0;
    const off = await local('off');
    await new Promise((r) => setTimeout(r, 1500));
    await off.stop();
    expect(added.filter((a) => a.queue === 'ops')).toEqual([]);
  });
});
