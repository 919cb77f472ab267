/**
 * A run's state across attempts of its edition job (chaos trials saw `failed`, then `running` again when the
 * retry started): while the queue will try the job again the run stays `running`, with a `retrying` event
 * naming the attempt, the error and the pause; it ends `failed`, with the last error, only when the last
 * attempt fails. On BullMQ (a real Redis: a private redis-server) and on the embedded in-process queue, with
 * the demo world's sources, the local extractor and the outbox.
 *
 * The failure is injected where the orchestrator reads its stage jobs' states (the queue refusing a read),
 * so it goes through the orchestrator's own error path. Each retry's start is where the state is read: the
 * moment between two attempts, when the old code showed `failed`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import type { Config } from '../src/config/index.ts';
import { deliveriesQ, editionsQ, runsQ } from '../src/db/queries/index.ts';
import { createOutboxMailer } from '../src/deliver/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { BullQueue, BullWorkers, redisConnection } from '../src/jobs/bullmq.ts';
import { InProcessQueue } from '../src/jobs/in-process.ts';
import { pipelineProcess, queueSettings } from '../src/jobs/process.ts';
import type { PipelineProcess } from '../src/jobs/process.ts';
import type { Handlers, JobHandler, JobQueue } from '../src/jobs/queue.ts';
import { silentLogger } from '../src/log.ts';
import { prepareRun } from '../src/pipeline/edition.ts';
import { jobIds } from '../src/pipeline/queue.ts';
import type { EditionJob, JobHandle, StageQueue } from '../src/pipeline/queue.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { privateRedis } from './helpers/private-servers.ts';
import type { PrivateRedis } from './helpers/private-servers.ts';
import { waitFor } from './helpers/workers.ts';

const log = silentLogger();
const ATTEMPTS = 3;

/** The orchestrator's queue, refusing its next `failures.left` reads of job states. */
function refusing(queue: StageQueue, failures: { left: number }): StageQueue {
  return {
    kind: queue.kind,
    add: (q, jobs) => queue.add(q, jobs),
    cancel: (q, ids) => queue.cancel(q, ids),
    states: async (q, ids) => {
      if (failures.left > 0) {
        failures.left--;
        throw new Error(`injected: job states of ${q} refused`);
      }
      return queue.states(q, ids);
    },
  };
}

/** What the run looked like when each attempt after the first started. */
interface Between {
  attempt: number;
  status: string | undefined;
  lastEvent: { kind: string; message: string } | undefined;
}

describe(`the run's state across edition-job retries (${TEST_DB})`, () => {
  let world: DemoWorld;
  let database: TestDatabase;
  let redis: PrivateRedis;
  let keys: string[];
  let outbox: string;
  let config: Config;
  let date = 0;

  beforeAll(async () => {
    const anchor = editionWindow('2025-11-20', { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 }).to;
    world = await startDemoWorld({ anchor, timezone: 'Asia/Shanghai' });
    database = await createTestDatabase();
    // Two sources keep each edition short; every recipient still gets its mail.
    keys = (await seedDemo(database.db, world)).slice(0, 2);
    redis = await privateRedis();
    outbox = mkdtempSync(path.join(tmpdir(), 'finrep-retry-'));
    config = loadConfig(
      { FINREP_DATA_DIR: database.dataDir, MAIL_RATE_LIMIT_PER_SEC: '50', REDIS_URL: redis.url(0) },
      { envFile: null },
    );
  }, 120_000);
  afterAll(async () => {
    await world?.close();
    await redis?.kill();
    await database?.drop();
    if (outbox) rmSync(outbox, { recursive: true, force: true });
  });

  /** The process's handlers, the edition's orchestrator on the refusing queue, each retry's start recorded. */
  function handlersFor(proc: PipelineProcess, queue: JobQueue, failures: { left: number }, between: Between[]) {
    const handlers: Handlers = proc.handlers(queue);
    const edition = proc.handlers(refusing(queue, failures)).edition as JobHandler<EditionJob>;
    handlers.edition = (async (job: JobHandle<EditionJob>) => {
      if (job.attempt > 1) {
        const run = await runsQ.getRun(database.db, job.data.runId!);
        const events = await runsQ.listRunEvents(database.db, job.data.runId!);
        const last = events.at(-1);
        between.push({ attempt: job.attempt, status: run?.status, lastEvent: last && { ...last } });
      }
      return edition(job);
    }) as JobHandler<never>;
    return handlers;
  }

  function processFor(day: string) {
    return pipelineProcess({
      db: database.db,
      config,
      log,
      secret: 'test-secret-0123456789',
      openMailer: async () => {
        const mailer = createOutboxMailer(path.join(outbox, day), { log });
        return { mailer, close: () => mailer.close() };
      },
    });
  }

  /** One edition on BullMQ (a worker in this process), its orchestrator refused `failures` times. */
  async function onBullmq(failures: number) {
    const day = `2025-11-${String(10 + date++).padStart(2, '0')}`;
    const { runId } = await prepareRun(database.db, config, day, 'api');
    const proc = processFor(day);
    const settings = {
      ...queueSettings(config, proc.tiers, 'bullmq'),
      edition: { concurrency: 1, attempts: ATTEMPTS, global: false },
    };
    const connections = [redisConnection(redis.url(0))];
    const connect = () => {
      const c = redisConnection(redis.url(0));
      connections.push(c);
      return c;
    };
    const queue = new BullQueue(connections[0]!, settings);
    const between: Between[] = [];
    const handlers = handlersFor(proc, queue, { left: failures }, between);
    const workers = new BullWorkers({
      connection: connect,
      log,
      handlers,
      settings: Object.fromEntries(Object.entries(settings).map(([q, s]) => [q, { concurrency: s.concurrency }])),
    });
    await workers.start();
    const id = jobIds.edition(day, runId);
    try {
      await queue.add('edition', [{ id, data: { date: day, trigger: 'api', runId, sourceKeys: keys } }]);
      await waitFor(
        async () => {
          const [s] = await queue.states('edition', [id]);
          return s!.status === 'completed' || s!.status === 'failed';
        },
        'the edition job to end',
        180_000,
        200,
      );
      const [state] = await queue.states('edition', [id]);
      return { day, runId, between, state: state! };
    } finally {
      await workers.close(5000);
      await queue.close();
      for (const c of connections) c.disconnect();
      await proc.close();
    }
  }

  /** One edition on the embedded in-process queue (as `finrep start` runs a scheduled or started one). */
  async function inProcess(failures: number) {
    const day = `2025-11-${String(10 + date++).padStart(2, '0')}`;
    const { runId } = await prepareRun(database.db, config, day, 'api');
    const proc = processFor(day);
    const settings = {
      ...queueSettings(config, proc.tiers, 'in-process'),
      edition: { concurrency: 1, attempts: ATTEMPTS },
    };
    const between: Between[] = [];
    const queue = new InProcessQueue((q) => handlersFor(proc, q, { left: failures }, between), settings, {
      retryDelayMs: 50,
    });
    const id = jobIds.edition(day, runId);
    try {
      await queue.add('edition', [{ id, data: { date: day, trigger: 'api', runId, sourceKeys: keys } }]);
      await waitFor(
        async () => {
          const [s] = await queue.states('edition', [id]);
          return s!.status === 'completed' || s!.status === 'failed';
        },
        'the edition job to end',
        180_000,
        100,
      );
      const [state] = await queue.states('edition', [id]);
      return { day, runId, between, state: state! };
    } finally {
      await queue.close();
      await proc.close();
    }
  }

  for (const [name, run] of [
    ['BullMQ', onBullmq],
    ['in-process', inProcess],
  ] as const) {
    it(`${name}: a first attempt that fails reads running + retrying until the retry, which completes the run`, async () => {
      const r = await run(1);
      expect(r.state.status, r.state.error ?? '').toBe('completed');
      expect(r.between).toHaveLength(1);
      expect(r.between[0]).toMatchObject({ attempt: 2, status: 'running' });
      expect(r.between[0]!.lastEvent?.kind).toBe('retrying');
      expect(r.between[0]!.lastEvent?.message).toMatch(
        new RegExp(
          `^attempt 1 of ${ATTEMPTS} failed: injected: job states of collect-\\S+ refused; retrying in \\d+ s$`,
        ),
      );
      const record = await runsQ.getRun(database.db, r.runId);
      expect(record).toMatchObject({ status: 'ok', error: null });
      expect(await editionsQ.findEditionByDate(database.db, r.day)).toMatchObject({ status: 'delivered' });
      const kinds = (await runsQ.listRunEvents(database.db, r.runId)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'retrying')).toHaveLength(1);
      expect(kinds).toContain('recovered');
      // Every recipient mailed once.
      const edition = await editionsQ.findEditionByDate(database.db, r.day);
      const rows = await deliveriesQ.listDeliveries(database.db, edition!.id);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
    }, 240_000);

    it(`${name}: a job that fails every attempt ends failed with the last error, never failed before`, async () => {
      const r = await run(ATTEMPTS);
      expect(r.state.status).toBe('failed');
      expect(r.between.map((b) => [b.attempt, b.status, b.lastEvent?.kind])).toEqual([
        [2, 'running', 'retrying'],
        [3, 'running', 'retrying'],
      ]);
      expect(r.between[1]!.lastEvent?.message).toMatch(/^attempt 2 of 3 failed: injected/);
      const record = await runsQ.getRun(database.db, r.runId);
      expect(record?.status).toBe('failed');
      expect(record?.error).toMatch(/^injected: job states of collect-\S+ refused$/);
      expect(await editionsQ.findEditionByDate(database.db, r.day)).toMatchObject({ status: 'failed' });
      const kinds = (await runsQ.listRunEvents(database.db, r.runId)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'retrying')).toHaveLength(ATTEMPTS - 1);
    }, 240_000);
  }
});
