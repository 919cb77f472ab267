/**
 * A job that fails for a reason no retry can mend (a `DeliverError`: the edition has no composed report) is
 * failed by BullMQ at once — one attempt, not the deliver queue's five — while a failure that may pass is
 * retried. Real Redis, the real deliver handler, the real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import { BullQueue, BullWorkers, redisConnection } from '../src/jobs/bullmq.ts';
import { pipelineProcess, queueSettings } from '../src/jobs/process.ts';
import type { PipelineProcess } from '../src/jobs/process.ts';
import type { JobState } from '../src/jobs/queue.ts';
import { silentLogger } from '../src/log.ts';
import { windowOf } from '../src/pipeline/run.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { flushRedis, redisUrlFor, waitFor } from './helpers/workers.ts';

/** A Redis db of this file's own (deliver tests use 9, the worker tests 11–15, the benchmark 5). */
const REDIS_URL = redisUrlFor(10);
const DATE = '2025-11-12';
const log = silentLogger();

describe(`permanent and transient failures of BullMQ jobs (${TEST_DB}, real Redis)`, () => {
  let t: TestDatabase | undefined;
  let proc: PipelineProcess | undefined;
  let queue: BullQueue | undefined;
  let workers: BullWorkers | undefined;
  const connections: ReturnType<typeof redisConnection>[] = [];
  const connect = () => {
    const c = redisConnection(REDIS_URL);
    connections.push(c);
    return c;
  };
  let transientCalls = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    await flushRedis(REDIS_URL);
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir, REDIS_URL }, { envFile: null });
    proc = pipelineProcess({ db: t.db, config, log, secret: 'test-secret-0123456789', openMailer: async () => null });
    const settings = queueSettings(config, proc.tiers, 'bullmq');
    queue = new BullQueue(connect(), settings);
    workers = new BullWorkers({
      connection: connect,
      log,
      handlers: {
        deliver: proc.handlers(queue).deliver!,
        // Fails its first attempt with an error that may pass (a server away for a moment), then succeeds.
        dedup: async () => {
          transientCalls++;
          if (transientCalls === 1) throw new Error('the database was restarting');
          return { unique: 0, nearDuplicates: 0, queued: [] };
        },
      },
      settings: { deliver: { concurrency: 1 }, dedup: { concurrency: 1 } },
    });
    await workers.start();
  });
  afterAll(async () => {
    await workers?.close(1000);
    await queue?.close();
    await proc?.close();
    for (const c of connections) c.disconnect();
    await flushRedis(REDIS_URL).catch(() => {});
    await t?.drop();
  });

  async function settled(name: 'deliver' | 'dedup', id: string): Promise<JobState> {
    let state: JobState | undefined;
    await waitFor(
      async () => {
        [state] = await queue!.states(name, [id]);
        return state!.status === 'completed' || state!.status === 'failed';
      },
      `${name} job ${id} to end`,
      30_000,
      100,
    );
    return state!;
  }

  it('a deliver job for an edition with no composed report fails after one attempt, not five', async () => {
    const { from, to } = windowOf(loadConfig({}, { envFile: null }), DATE);
    const edition = await editionsQ.ensureEdition(t!.db, DATE, from, to);
    const id = 'r1-deliver';
    await queue!.add('deliver', [{ id, data: { runId: 1, editionId: edition.id, date: DATE, groups: null } }]);
    const state = await settled('deliver', id);
    expect(state).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.error).toBe(`edition ${DATE} has no composed report to send`);
    // Failed for good: BullMQ holds no retry of it.
    expect(await queue!.queue('deliver').getDelayedCount()).toBe(0);
    const job = await queue!.queue('deliver').getJob(id);
    expect(job?.opts.attempts).toBe(5);
  });

  it('a failure that may pass is retried, and the job completes', async () => {
    const id = 'r1-dfinal';
    await queue!.add('dedup', [{ id, data: { runId: 1, editionId: 1, from: '', to: '' } }]);
    const state = await settled('dedup', id);
    expect(state).toMatchObject({ status: 'completed', attempts: 2 });
    expect(transientCalls).toBe(2);
  });
});
