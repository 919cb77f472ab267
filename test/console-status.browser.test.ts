/**
 * /admin/status in the system Chromium: after the real sampler has taken a few samples (and an hour of
 * earlier ones is in place), every trend draws on its canvas, the page fits a 375 px phone, no script error
 * or CSP refusal shows, and a hostile worker name stays text. Screenshots at 1280 and 375 px.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { insertSamples } from '../src/db/queries/status-samples.ts';
import { silentLogger } from '../src/log.ts';
import { WORKER_HEARTBEAT_PREFIX } from '../src/ops/heartbeats.ts';
import { createStatusReader } from '../src/ops/status.ts';
import { slotOf, startStatusSampler } from '../src/ops/status-sampler.ts';
import { HAS_CHROMIUM, openConsoleBrowser } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';
import { redisUrlFor } from './helpers/workers.ts';

const REDIS_URL = process.env.FINREP_TEST_REDIS_URL ?? redisUrlFor(0);
const PASSWORD = 'status-pass-0123456789';
const WORKER = `worker-1:<img src=x onerror=alert(1)>:${process.pid}`;

describe.skipIf(!HAS_CHROMIUM)('/admin/status in Chromium', () => {
  let database: TestDatabase;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: ConsoleBrowser;
  let redis: Redis;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = webConfig({ REDIS_URL, HEALTH_MIN_WORKERS: '1' });
    redis = new Redis(REDIS_URL);
    await redis.set(
      `${WORKER_HEARTBEAT_PREFIX}${WORKER}`,
      JSON.stringify({ worker: WORKER, at: new Date(), active_jobs: 1, rss_mb: 412 }),
      'EX',
      900,
    );
    // An hour of earlier samples, as a running installation has them …
    const now = Date.now();
    for (let i = 120; i > 3; i -= 2) {
      const wave = Math.sin(i / 9);
      await insertSamples(database.db, slotOf(now - i * 30_000), [
        { metric: 'web.p50_ms', value: 6 + 2 * wave },
        { metric: 'web.p95_ms', value: 24 + 9 * wave + (i % 17 === 0 ? 30 : 0) },
        { metric: 'queue.extract.waiting', value: Math.max(0, Math.round(40 * wave)) },
        { metric: 'queue.collect-rss.waiting', value: i % 40 < 5 ? 12 : 0 },
        { metric: 'queue.deliver.failed', value: i < 30 ? 1 : 0 },
        { metric: 'db.connections', value: 1 + (i % 3) },
        { metric: 'db.size_bytes', value: 8.2e6 + (120 - i) * 4e3 },
        { metric: 'redis.used_memory_bytes', value: 1.3e6 + 1e5 * wave },
        { metric: 'redis.clients', value: 4 + (i % 3) },
      ]);
    }
    // … and a few taken now by the real sampler, in fast slots.
    const reader = createStatusReader({ config, db: database.db, log: silentLogger() });
    const sampler = startStatusSampler({ db: database.db, log: silentLogger(), read: reader.read, intervalMs: 300 });
    await new Promise((r) => setTimeout(r, 1000));
    await sampler.stop();
    await reader.close();
    server = await startTestServer(database.db, config);
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    browser = await openConsoleBrowser(server.base, 'admin@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await redis?.del(`${WORKER_HEARTBEAT_PREFIX}${WORKER}`);
    redis?.disconnect();
    await server?.app.close();
    await database?.drop();
  });

  for (const width of [1280, 375]) {
    it(`draws every trend and fits at ${width} px`, async () => {
      const { page, problems, context } = await browser.open(width);
      await page.goto(`${server.base}/admin/status?range=1h`);
      expect(await browser.drawnCharts(page, 4, 15_000)).toBe(4);
      expect(await page.locator('[data-chart][data-state="error"]').count()).toBe(0);
      expect(await page.getByText(WORKER).count()).toBe(1);
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(await browser.overflow(page)).toBeLessThanOrEqual(0);
      await browser.shot(page, `console-status-status-${width}`);
      expect(problems).toEqual([]);
      await context.close();
    });
  }
});
