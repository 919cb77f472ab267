/**
 * `GET /healthz` against real parts: the test database (PGlite or PostgreSQL), a redis-server of this file's
 * own (killed and restarted while the endpoint is polled), a real worker and a real beat keeping their
 * heartbeats, and the embedded shape's in-process schedule.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/index.ts';
import { fireTimes, startBeat } from '../src/jobs/beat.ts';
import type { RunningBeat } from '../src/jobs/beat.ts';
import { HEARTBEAT_PREFIX, startWorker } from '../src/jobs/worker.ts';
import type { RunningWorker } from '../src/jobs/worker.ts';
import { silentLogger } from '../src/log.ts';
import { QUEUES } from '../src/pipeline/queue.ts';
import { BEAT_HEARTBEAT_KEY, WORKER_HEARTBEAT_PREFIX } from '../src/ops/heartbeats.ts';
import { buildServer } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { freePort, privateRedis } from './helpers/private-servers.ts';
import type { PrivateRedis } from './helpers/private-servers.ts';
import { SECRET, startTestServer, webConfig } from './helpers/web.ts';

interface Answer {
  status: number;
  body: { status: string; failing: string[]; checks: Record<string, Record<string, unknown>> };
  text: string;
}

async function healthz(base: string): Promise<Answer> {
  const res = await fetch(`${base}/healthz`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Answer['body'], text };
}

/** Polls /healthz until `until` holds (at most `tries` × 50 ms), returning that answer. */
async function pollUntil(base: string, until: (a: Answer) => boolean, tries = 200): Promise<Answer> {
  let last: Answer | null = null;
  for (let i = 0; i < tries; i++) {
    last = await healthz(base);
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/healthz never reached the expected state; last answer ${last?.status}: ${last?.text}`);
}

const testConfig = (t: TestDatabase, env: Record<string, string> = {}): Config =>
  webConfig({
    FINREP_DATA_DIR: t.dataDir,
    ...(t.databaseUrl && { DATABASE_URL: t.databaseUrl }),
    HEALTH_DISK_MIN_FREE_MB: '1',
    HEALTH_DISK_MIN_FREE_PERCENT: '0',
    ...env,
  });

describe(`/healthz (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('keeps the heartbeat keys the worker and beat write', () => {
    expect(WORKER_HEARTBEAT_PREFIX).toBe(HEARTBEAT_PREFIX);
    expect(BEAT_HEARTBEAT_KEY).toBe('finrep:heartbeat:beat');
  });

  describe('with Redis: the database, Redis, workers, beat and the disk', () => {
    let redis: PrivateRedis;
    let config: Config;
    let server: { app: FastifyInstance; base: string };
    let beat: RunningBeat | null = null;
    let worker: RunningWorker | null = null;
    beforeAll(async () => {
      redis = await privateRedis();
      config = testConfig(t, { REDIS_URL: redis.url(0), HEALTH_CHECK_TIMEOUT_MS: '500', WORKER_GRACE_SEC: '1' });
      server = await startTestServer(t.db, config);
    });
    afterAll(async () => {
      await worker?.stop();
      await beat?.stop();
      await server?.app.close();
      await redis?.kill();
    });

    it('answers 503 naming workers and beat while neither runs, 200 once both keep their heartbeats', async () => {
      const before = await healthz(server.base);
      expect(before.status).toBe(503);
      expect(before.body.failing).toEqual(['workers', 'beat']);
      expect(before.body.checks.database).toMatchObject({ status: 'ok', kind: TEST_DB });
      expect(before.body.checks.redis).toMatchObject({ status: 'ok' });
      expect(before.body.checks.workers).toMatchObject({ status: 'fail', count: 0, min: 1 });
      expect(before.body.checks.workers!.message).toMatch(/finrep worker/);
      expect(before.body.checks.disk).toMatchObject({ status: 'ok' });
      expect(typeof before.body.checks.disk!.free_mb).toBe('number');

      const log = silentLogger();
      beat = await startBeat({ db: t.db, config, log }, { refreshMs: 1000 });
      const workerDeps = { db: t.db, config, log, secret: SECRET, openMailer: async () => null };
      // A worker that takes only some queues leaves the others' jobs to nobody: named, and 503.
      worker = await startWorker(workerDeps, { queues: ['deliver'], heartbeatMs: 1000 });
      // A check's result answers for 250 ms: the change shows on a later poll.
      const partial = await pollUntil(server.base, (a) => a.body.checks.workers?.count === 1);
      expect(partial.status).toBe(503);
      expect(partial.body.failing).toEqual(['workers']);
      expect(partial.body.checks.workers!.queues_without_worker).toEqual(QUEUES.filter((q) => q !== 'deliver'));
      expect(partial.body.checks.workers!.message).toMatch(/no worker takes jobs from the edition, .*ops queues/);
      await worker.stop();

      worker = await startWorker(workerDeps, { heartbeatMs: 1000 });
      const up = await pollUntil(server.base, (a) => a.status === 200);
      expect(up.body).toMatchObject({ status: 'ok', failing: [] });
      expect(up.body.checks.workers).toMatchObject({ status: 'ok', count: 1 });
      const next = fireTimes(config.report.cron, config.timeZone, new Date()).next;
      expect(up.body.checks.beat).toMatchObject({ status: 'ok', next_edition: next.toISOString() });
      expect(Date.parse(up.body.checks.beat!.last_tick as string)).toBeGreaterThan(Date.now() - 60_000);
      for (const c of Object.values(up.body.checks)) expect(typeof c.latency_ms).toBe('number');
    });

    it('answers 503 naming Redis within 1 s of its death, and 200 again once it is back', async () => {
      await pollUntil(server.base, (a) => a.status === 200);
      let killedAt = 0;
      let firstFailure: { after: number; answer: Answer } | null = null;
      const polling = (async () => {
        for (let i = 0; i < 400 && !firstFailure; i++) {
          const askedAfterKill = killedAt > 0;
          const a = await healthz(server.base);
          // The first 503 naming Redis: a check that started after the kill (workers reads its keys) can fail a
          // moment before the Redis check's own answer from just before the kill expires (seen under load).
          if (askedAfterKill && a.status === 503 && a.body.failing.includes('redis'))
            firstFailure = { after: performance.now() - killedAt, answer: a };
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await new Promise((r) => setTimeout(r, 200));
      killedAt = performance.now();
      await redis.kill();
      await polling;
      expect(firstFailure, 'no 503 after the kill').not.toBeNull();
      const { after, answer } = firstFailure!;
      expect(answer.body.failing, answer.text).toContain('redis');
      expect(answer.body.checks.database).toMatchObject({ status: 'ok' });
      expect(after).toBeLessThan(1000);

      await redis.start();
      const back = await pollUntil(server.base, (a) => a.status === 200, 400);
      expect(back.body.checks.redis).toMatchObject({ status: 'ok' });
    });

    it("answers 503 naming workers when the last worker's heartbeat expires", async () => {
      await worker!.stop();
      worker = null;
      const none = await pollUntil(server.base, (a) => a.status === 503);
      expect(none.body.failing).toEqual(['workers']);

      // A crashed worker leaves its last heartbeat, which expires three beats later.
      const r = new Redis(redis.url(0));
      try {
        const value = JSON.stringify({ worker: 'crashed-host:1', at: new Date().toISOString(), active_jobs: 2 });
        await r.set(`${WORKER_HEARTBEAT_PREFIX}crashed-host:1`, value, 'PX', 3000);
      } finally {
        r.disconnect();
      }
      const alive = await pollUntil(server.base, (a) => a.status === 200);
      expect(alive.body.checks.workers).toMatchObject({ count: 1, active_jobs: 2 });
      const expired = await pollUntil(server.base, (a) => a.status === 503);
      expect(expired.body.failing).toEqual(['workers']);
    });
  });

  it('embedded (finrep start): the database, the in-process schedule and the disk; no Redis', async () => {
    const config = testConfig(t);
    const app = await buildServer({
      config,
      db: t.db,
      log: silentLogger(),
      secret: SECRET,
      startEdition: async () => ({ running: 0 }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const a = await healthz(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
      expect(a.status, a.text).toBe(200);
      expect(Object.keys(a.body.checks)).toEqual(['database', 'beat', 'disk']);
      const next = fireTimes(config.report.cron, config.timeZone, new Date()).next;
      expect(a.body.checks.beat).toMatchObject({ status: 'ok', mode: 'in-process', next_edition: next.toISOString() });
    } finally {
      await app.close();
    }
  });

  it('answers 503 naming the disk when the data folder has less free space than configured', async () => {
    const server = await startTestServer(t.db, testConfig(t, { HEALTH_DISK_MIN_FREE_MB: '999999999' }));
    try {
      const a = await healthz(server.base);
      expect(a.status).toBe(503);
      expect(a.body.failing).toEqual(['disk']);
      expect(a.body.checks.disk!.message).toMatch(/HEALTH_DISK_MIN_FREE_MB is 999999999/);
    } finally {
      await server.app.close();
    }
  });

  it('names an unreachable Redis without its password', async () => {
    const url = `redis://:Sup3rSecretPw@127.0.0.1:${await freePort()}/0`;
    const server = await startTestServer(t.db, testConfig(t, { REDIS_URL: url, HEALTH_CHECK_TIMEOUT_MS: '300' }));
    try {
      const a = await healthz(server.base);
      expect(a.status).toBe(503);
      expect(a.body.failing).toEqual(['redis', 'workers', 'beat']);
      expect(a.body.checks.redis!.message).toBeTruthy();
      expect(a.text).not.toContain('Sup3rSecretPw');
    } finally {
      await server.app.close();
    }
  });
});
