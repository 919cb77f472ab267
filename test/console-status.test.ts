/**
 * /admin/status over the real server, database (PGlite, or PostgreSQL with FINREP_TEST_DB=postgres) and the
 * local Redis: the numbers come from them, the sampler writes one sample per slot even with two samplers on
 * the same database, old samples are purged, and the chart routes answer ECharts options with the series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CLAIM_METRIC, countBySlot, insertSamples } from '../src/db/queries/status-samples.ts';
import { InProcessQueue } from '../src/jobs/in-process.ts';
import { silentLogger } from '../src/log.ts';
import { WORKER_HEARTBEAT_PREFIX } from '../src/ops/heartbeats.ts';
import { createStatusReader } from '../src/ops/status.ts';
import { latencyOf } from '../src/ops/status.ts';
import { sampleSlot, slotOf, startStatusSampler } from '../src/ops/status-sampler.ts';
import { PermanentError } from '../src/pipeline/errors.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';
import { redisUrlFor } from './helpers/workers.ts';

const REDIS_URL = process.env.FINREP_TEST_REDIS_URL ?? redisUrlFor(0);
const PASSWORD = 'status-pass-0123456789';
const HOSTILE = `<script>alert("w")</script>${process.pid}`;

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startTestServer>>;
let viewer: Client;
let redis: Redis;
let config: ReturnType<typeof webConfig>;
const reader = () => createStatusReader({ config, db: database.db, log: silentLogger() });

beforeAll(async () => {
  database = await createTestDatabase();
  // The database's kind is the configuration's (DATABASE_URL set: PostgreSQL).
  const db: Record<string, string> = database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {};
  config = webConfig({ REDIS_URL, HEALTH_MIN_WORKERS: '1', ...db });
  redis = new Redis(REDIS_URL);
  // A worker's heartbeat whose name is hostile: the page must show it as text.
  await redis.set(
    `${WORKER_HEARTBEAT_PREFIX}${HOSTILE}`,
    JSON.stringify({ worker: HOSTILE, at: new Date(), active_jobs: 2, rss_mb: 321 }),
    'EX',
    900,
  );
  server = await startTestServer(database.db, config);
  await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
  viewer = new Client(server.base);
  expect((await viewer.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
});

afterAll(async () => {
  await redis?.del(`${WORKER_HEARTBEAT_PREFIX}${HOSTILE}`);
  redis?.disconnect();
  await server?.app.close();
  await database?.drop();
});

describe('the status reader', () => {
  it('reads the database and Redis for real', async () => {
    const status = reader();
    try {
      const s = await status.read();
      expect(s.database).toMatchObject({ ok: true, kind: database.databaseUrl ? 'postgres' : 'pglite' });
      expect(s.database.sizeBytes).toBeGreaterThan(1_000_000);
      expect(s.database.connections).toBeGreaterThanOrEqual(1);
      expect(s.database.maxConnections).toBeGreaterThanOrEqual(s.database.connections!);
      expect(s.redis?.ok).toBe(true);
      expect(s.redis?.usedMemoryBytes).toBeGreaterThan(100_000);
      expect(s.redis?.clients).toBeGreaterThanOrEqual(1);
      expect(s.queues.source).toBe('bullmq');
      expect(s.queues.rows.map((q) => q.queue)).toContain('extract');
      expect(s.workers?.list.find((w) => w.worker === HOSTILE)).toMatchObject({ activeJobs: 2, rssMb: 321 });
      expect(s.beat.mode).toBe('redis');
    } finally {
      await status.close();
    }
  });

  it('counts the in-process queue in the embedded shape', async () => {
    const queue = new InProcessQueue(
      {
        extract: async () => {
          throw new PermanentError('no');
        },
        dedup: () => new Promise(() => {}),
      },
      { dedup: { concurrency: 1, attempts: 1 } },
    );
    await queue.add('extract', [{ id: 'a', data: {} }]);
    await queue.add('dedup', [
      { id: 'b', data: {} },
      { id: 'c', data: {} },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    const embedded = createStatusReader({
      config: webConfig(),
      db: database.db,
      log: silentLogger(),
      queueCounts: () => queue.counts(),
    });
    const s = await embedded.read();
    await embedded.close();
    expect(s.mode).toBe('embedded');
    expect(s.redis).toBeNull();
    expect(s.workers).toBeNull();
    expect(s.beat).toMatchObject({ ok: true, mode: 'in-process' });
    expect(s.beat.nextRun!.getTime()).toBeGreaterThan(Date.now());
    const rows = Object.fromEntries(s.queues.rows.map((q) => [q.queue, q]));
    expect(rows.extract).toMatchObject({ waiting: 0, active: 0, failed: 1 });
    expect(rows.dedup).toMatchObject({ waiting: 1, active: 1, failed: 0 });
  });

  it('computes latency quantiles from cumulative buckets', () => {
    const cases = [
      { name: 'none', buckets: [{ le: Infinity, count: 0 }], p50: null, p95: null },
      {
        name: 'all in the first',
        buckets: [
          { le: 0.01, count: 10 },
          { le: Infinity, count: 10 },
        ],
        p50: 5,
        p95: 9.5,
      },
      {
        name: 'spread',
        buckets: [
          { le: 0.005, count: 50 },
          { le: 0.05, count: 90 },
          { le: 0.1, count: 100 },
          { le: Infinity, count: 100 },
        ],
        p50: 5,
        p95: 75,
      },
      {
        name: 'beyond the last bound',
        buckets: [
          { le: 0.01, count: 1 },
          { le: Infinity, count: 10 },
        ],
        p50: 10,
        p95: 10,
      },
    ];
    for (const c of cases)
      expect([c.name, latencyOf(c.buckets).p50Ms, latencyOf(c.buckets).p95Ms]).toEqual([c.name, c.p50, c.p95]);
  });
});

describe('the sampler', () => {
  const window = latencyOf([{ le: Infinity, count: 0 }]);

  it('samples a slot once when two samplers race for it', async () => {
    const status = reader();
    try {
      const base = slotOf(Date.now() - 3600_000).getTime();
      for (let i = 0; i < 4; i++) {
        const slot = new Date(base + i * 30_000);
        const won = await Promise.all(
          ['a', 'b'].map((instance) =>
            sampleSlot({ db: database.db, log: silentLogger(), read: status.read, instance }, slot, window),
          ),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
      }
      const claims = (await countBySlot(database.db, CLAIM_METRIC)).filter((c) => c.at.getTime() >= base);
      const sizes = (await countBySlot(database.db, 'db.size_bytes')).filter((c) => c.at.getTime() >= base);
      expect(claims.map((c) => c.n)).toEqual([1, 1, 1, 1]);
      expect(sizes.map((c) => c.n)).toEqual([1, 1, 1, 1]);
    } finally {
      await status.close();
    }
  });

  it('keeps sampling every slot with two running samplers, one row per slot', async () => {
    const status = reader();
    const t0 = Date.now();
    const samplers = ['one', 'two'].map((instance) =>
      startStatusSampler({ db: database.db, log: silentLogger(), read: status.read, instance, intervalMs: 400 }),
    );
    await new Promise((r) => setTimeout(r, 2100));
    await Promise.all(samplers.map((s) => s.stop()));
    await status.close();
    const claims = (await countBySlot(database.db, CLAIM_METRIC)).filter((c) => c.at.getTime() >= t0 - 400);
    const up = (await countBySlot(database.db, 'redis.used_memory_bytes')).filter((c) => c.at.getTime() >= t0 - 400);
    expect(claims.length).toBeGreaterThanOrEqual(4);
    expect(claims.every((c) => c.n === 1)).toBe(true);
    expect(new Set(claims.map((c) => c.instance)).size).toBeGreaterThanOrEqual(1);
    expect(up.map((c) => c.at.getTime())).toEqual(claims.map((c) => c.at.getTime()));
    expect(up.every((c) => c.n === 1)).toBe(true);
  });

  it('purges samples older than 7 days', async () => {
    const day = 86_400_000;
    const old = slotOf(Date.now() - 8 * day);
    const kept = slotOf(Date.now() - 6 * day);
    await insertSamples(database.db, old, [{ metric: 'db.connections', value: 3 }]);
    await insertSamples(database.db, kept, [{ metric: 'db.connections', value: 4 }]);
    const status = reader();
    await sampleSlot(
      { db: database.db, log: silentLogger(), read: status.read, instance: 'p' },
      slotOf(Date.now() + 86_400_000),
      window,
    );
    await status.close();
    const at = (await countBySlot(database.db, 'db.connections')).map((c) => c.at.getTime());
    expect(at).not.toContain(old.getTime());
    expect(at).toContain(kept.getTime());
  });
});

describe('the pages', () => {
  it('shows the numbers, the hostile worker name as text, and the charts', async () => {
    for (let i = 0; i < 5; i++) await viewer.get('/sources-nothing-here');
    const page = await viewer.get('/admin/status');
    expect(page.status).toBe(200);
    expect(page.text).toContain(database.databaseUrl ? 'PostgreSQL' : 'PGlite');
    expect(page.text).toMatch(/数据库大小<\/dt><dd>\d[\d,.]* MB/);
    expect(page.text).toMatch(/已用内存<\/dt><dd>\d[\d,.]* MB/);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;w&quot;)&lt;/script&gt;');
    for (const c of ['latency', 'queues', 'database', 'redis'])
      expect(page.text).toContain(`data-chart="/admin/status/charts/${c}?range=6h"`);
    expect(page.text).toContain('data-refresh="30"');
    expect(page.text).toMatch(/最近一次采样：\d{4}-\d\d-\d\d/);
    // Without a beat heartbeat the scheduler panel says so in Chinese, not in the health check's English.
    expect(page.text).not.toContain('no beat heartbeat');
    if (!/最近一次心跳<\/dt><dd><time/.test(page.text)) expect(page.text).toContain('Redis 中没有调度器的心跳');
    const en = await viewer.get('/admin/status?range=24h&lang=en');
    expect(en.text).toContain('System status');
    expect(en.text).toContain('data-chart="/admin/status/charts/latency?range=24h"');
  });

  it('says in the page language that a web process without Redis schedules no edition', async () => {
    const db: Record<string, string> = database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {};
    const alone = await startTestServer(database.db, webConfig(db));
    try {
      const c = new Client(alone.base);
      expect((await c.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
      const zh = await c.get('/admin/status');
      expect(zh.text).toContain('未设置 REDIS_URL：本进程不调度日报');
      expect(zh.text).not.toContain('nothing schedules editions');
      const en = await c.get('/admin/status?lang=en');
      expect(en.text).toContain('REDIS_URL is not set: this process schedules no edition');
    } finally {
      await alone.app.close();
    }
  });

  it('answers each chart as an ECharts option with its series', async () => {
    const slot = slotOf(Date.now() - 60_000);
    await insertSamples(database.db, slot, [
      { metric: 'web.p50_ms', value: 3.5 },
      { metric: 'web.p95_ms', value: 12 },
      { metric: 'queue.extract.waiting', value: 7 },
      { metric: 'queue.extract.failed', value: 1 },
      { metric: 'queue.deliver.failed', value: 2 },
    ]);
    const latency = JSON.parse((await viewer.get('/admin/status/charts/latency?range=1h')).text);
    expect(latency.xAxis.type).toBe('time');
    // Drawn as UTC, each instant moved to the wall clock of the configured zone (Asia/Shanghai, +8 h).
    expect(latency.useUTC).toBe(true);
    const shown = slot.getTime() + 8 * 3_600_000;
    const p95 = latency.series.find((s: { name: string }) => s.name === 'p95');
    expect(p95.data).toContainEqual([shown, 12]);
    const queues = JSON.parse((await viewer.get('/admin/status/charts/queues?range=1h&lang=zh-CN')).text);
    expect(queues.series.find((s: { name: string }) => s.name === 'extract').data).toContainEqual([shown, 7]);
    expect(queues.series.find((s: { name: string }) => s.name === '失败').data).toContainEqual([shown, 3]);
    const db = JSON.parse((await viewer.get('/admin/status/charts/database?range=7d&lang=en')).text);
    const size = db.series.find((s: { name: string }) => s.name === 'size MB');
    expect(size.yAxisIndex).toBe(1);
    expect(size.data.length).toBeGreaterThan(0);
    expect(size.data.every(([, v]: [number, number]) => v > 1)).toBe(true);
    const redisChart = JSON.parse((await viewer.get('/admin/status/charts/redis')).text);
    expect(redisChart.series[0].data.length).toBeGreaterThan(0);
    expect((await viewer.get('/admin/status/charts/nope')).status).toBe(404);
    expect((await new Client(server.base).get('/admin/status/charts/latency')).status).toBe(302);
  });
});
