/**
 * The dashboard, runs and audit pages in the system Chromium: "run now" from the page (a dry run of a real
 * edition on the embedded in-process queue, collecting a tiny feed served on 127.0.0.1), the live page
 * following the SSE stream to its end and showing the report's link; no script error or CSP refusal; nothing
 * wider than a 375 px phone; screenshots of `/`, `/runs`, `/runs/:id` and `/audit` at 1280 and 375 px.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sources } from '../src/db/schema/index.ts';
import { startEmbedded } from '../src/jobs/embedded.ts';
import { windowOf } from '../src/pipeline/run.ts';
import { todayEdition } from '../src/pipeline/window.ts';
import { silentLogger } from '../src/log.ts';
import { inProcessEditionStarter } from '../src/web/edition-starter.ts';
import { buildServer } from '../src/web/server.ts';
import { openConsoleBrowser, HAS_CHROMIUM } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { seedDashboard } from './helpers/dashboard-seed.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, SECRET, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery staple 9';
const TITLES = [
  '央行开展逆回购操作 净投放资金',
  '沪指收涨0.8% 券商板块走强',
  '<script>alert(1)</script>某公司发布三季报',
];

/**
 * A feed of three items and their article pages, on 127.0.0.1, published in the hours before `latest()`: the end
 * of the window of the edition "run now" starts (today's in the configured zone), so that an item published after
 * today's cut-off (between 06:00 and midnight in Shanghai) does not fall into tomorrow's edition.
 */
function startFeed(latest: () => number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const m = /^\/a\/(\d)$/.exec(req.url ?? '');
    if (m) {
      const title = TITLES[Number(m[1])]!.replace(/</g, '&lt;');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<html><head><title>${title}</title></head><body><article><h1>${title}</h1>
        <p>${'市场人士表示，流动性保持合理充裕，资金面整体平稳。'.repeat(12)}</p></article></body></html>`);
      return;
    }
    const items = TITLES.map(
      (t, i) => `<item><title><![CDATA[${t}]]></title><link>${base}/a/${i}</link>
        <pubDate>${new Date(latest() - (i + 1) * 3_600_000).toUTCString()}</pubDate></item>`,
    ).join('');
    res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>本地财经</title>${items}</channel></rss>`,
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/feed.xml` }),
    ),
  );
}

describe.skipIf(!HAS_CHROMIUM)('console dashboard pages in Chromium', () => {
  let database: TestDatabase;
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  let app: FastifyInstance;
  let feed: { server: Server; url: string };
  let b: ConsoleBrowser;
  let base: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-console-dash-b-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = webConfig({ FINREP_DATA_DIR: dataDir, SCHEDULE_CATCHUP_HOURS: '0' });
    feed = await startFeed(() => {
      const now = new Date();
      return Math.min(now.getTime(), windowOf(config, todayEdition(now, config.timeZone)).to.getTime());
    });
    const log = silentLogger();
    embedded = await startEmbedded({ db: database.db, config, log, secret: SECRET, openMailer: async () => null });
    const startEdition = inProcessEditionStarter({ db: database.db, config, queue: embedded.queue });
    app = await buildServer({ config, db: database.db, log, secret: SECRET, startEdition });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    await seedDashboard(database.db, { timeZone: config.timeZone, deadline: config.report.deadline });
    await database.db.insert(sources).values({ name: '本地财经', kind: 'rss', url: feed.url, allowPrivate: true });
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await app?.close();
    await embedded?.stop(5000);
    feed?.server.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('dashboard and audit log at 1280 and 375 px', async () => {
    for (const width of [1280, 375]) {
      const { page, context, problems } = await b.open(width);
      await page.goto(`${base}/`);
      await expect(page.locator('h1')).toBeTruthy();
      expect(await page.locator('table.stages tr[data-stage]').count()).toBe(2);
      expect(await page.locator('.badge.bad', { hasText: '06:20' }).count()).toBe(1);
      await b.shot(page, `console-dashboard-home-${width}`);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await page.goto(`${base}/audit`);
      await b.shot(page, `console-dashboard-audit-${width}`);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      // The last section (审计日志) is in view in the navigation, even where the bar scrolls sideways.
      const current = (await page.locator('nav.sections [aria-current="page"]').boundingBox())!;
      expect(current.x).toBeGreaterThanOrEqual(0);
      expect(current.x + current.width).toBeLessThanOrEqual(width);
      // Hostile texts stay text: no script ran, nothing was injected.
      expect(await page.locator('main script, main img').count()).toBe(0);
      expect(problems).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('run now: the live page follows the run to its end and links to the report', async () => {
    const { page, context, problems } = await b.open(1280);
    await page.goto(`${base}/runs`);
    await page.check('input[name=dry_run]');
    await Promise.all([page.waitForURL(/\/runs\/\d+$/), page.click('form.run-now button[type=submit]')]);
    const runId = /\/runs\/(\d+)$/.exec(page.url())![1];
    // The page does not reload itself while run-live.js follows the stream.
    expect(await page.locator('[data-reload]').count()).toBe(0);
    await page.waitForSelector('.run-live[data-ended]', { timeout: 120_000 });
    const ended = await page.getAttribute('.run-live', 'data-ended');
    expect(['ok', 'partial']).toContain(ended);
    expect(await page.locator('ol.run-events li').count()).toBeGreaterThan(5);
    // The stream ends after the run's closing event, not before it (in the page's language).
    expect(await page.locator('ol.run-events li').last().textContent()).toMatch(/运行结束：(成功|部分成功)$/);
    expect(await page.locator('table.stages tr[data-stage="compose"]').count()).toBe(1);
    expect(await page.locator('table.stages tr[data-stage="collect"] .stage-result').textContent()).toMatch(/1/);
    const links = page.locator('[data-report-links] a');
    expect(await links.first().getAttribute('href')).toMatch(/^\/reports\/\d{4}-\d\d-\d\d$/);
    expect(await page.locator('[data-report-links]').isVisible()).toBe(true);
    // The compose row links to the edition's files, never to a path on the server (run-live.js put them there).
    const compose = page.locator('table.stages tr[data-stage="compose"] .stage-result');
    expect(await compose.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      expect.stringMatching(/^\/reports\/[\d-]+$/),
      expect.stringMatching(/^\/reports\/[\d-]+\/xlsx$/),
      expect.stringMatching(/^\/reports\/[\d-]+\/eml$/),
      expect.stringMatching(/^\/reports\/[\d-]+\/detail$/),
    ]);
    expect(await compose.innerText()).not.toContain(dataDir);
    expect(await page.locator('table.stages tr[data-stage="collect"] .stage-name').innerText()).toBe('采集');
    await b.shot(page, 'console-dashboard-run-1280');
    expect(problems).toEqual([]);
    // Open the report: its web view, as a recipient's link shows it.
    await Promise.all([page.waitForURL(/\/reports\/[\d-]+$/), links.first().click()]);
    expect(await page.locator('body').innerText()).toContain('央行开展逆回购操作');
    await context.close();

    const phone = await b.open(375);
    await phone.page.goto(`${base}/runs/${runId}`);
    await b.shot(phone.page, 'console-dashboard-run-375');
    expect(await b.overflow(phone.page)).toBeLessThanOrEqual(0);
    for (const width of [1280, 375]) {
      const p = width === 375 ? phone : await b.open(width);
      await p.page.goto(`${base}/runs`);
      expect(await p.page.locator(`a[href="/runs/${runId}"]`).count()).toBe(1);
      await b.shot(p.page, `console-dashboard-runs-${width}`);
      expect(await b.overflow(p.page)).toBeLessThanOrEqual(0);
      expect(p.problems).toEqual([]);
      await p.context.close();
    }
  }, 150_000);
});
