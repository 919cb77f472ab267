/**
 * The alerts page's 跳过的预警运行 section in the system Chromium: alert runs skipped while another was live
 * (held by a run still going, by one since finished, by one queued and not yet picked up) lay out without
 * overflow at 1280 and 375 px, in Chinese and English, without script error; screenshots at both widths.
 * The holding run's page says how many it held off.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionsQ } from '../src/db/queries/index.ts';
import { alertRunSkips, runs } from '../src/db/schema/index.ts';
import { openConsoleBrowser, HAS_CHROMIUM } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';

describe.skipIf(!HAS_CHROMIUM)(`the skipped alert runs section in Chromium (${TEST_DB})`, () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let b: ConsoleBrowser;
  let base: string;
  let slow = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    await addUser(t.db, 'admin@example.com', 'admin', PASSWORD);
    const at = (h: number, m: number) => new Date(Date.UTC(2026, 11, 7, h, m));
    const edition = await editionsQ.ensureEdition(t.db, '2026-12-08', at(22, 0), at(22, 0));
    const run = async (v: Partial<typeof runs.$inferInsert>) =>
      (
        await t.db
          .insert(runs)
          .values({ editionId: edition.id, trigger: 'alerts', status: 'running', ...v })
          .returning({ id: runs.id })
      )[0]!.id;
    const done = await run({ status: 'ok', worker: 'finrep-worker-7d9c5b6f4-x2kqp:31', startedAt: at(1, 30) });
    const queued = await run({ worker: null, startedAt: at(2, 0), status: 'failed' });
    slow = await run({ worker: 'finrep-worker-7d9c5b6f4-m8zrt:4242', startedAt: at(2, 20) });
    await t.db.insert(alertRunSkips).values([
      {
        runId: done,
        at: at(1, 40),
        worker: 'finrep-worker-7d9c5b6f4-m8zrt:4242',
        jobId: 'repeat:intraday-alerts:1765071600000',
      },
      { runId: queued, at: at(2, 1), worker: null, jobId: null },
      {
        runId: slow,
        at: at(2, 30),
        worker: 'finrep-worker-7d9c5b6f4-x2kqp:31',
        jobId: 'repeat:intraday-alerts:1765074600000',
      },
      { runId: slow, at: at(2, 40), worker: 'ops-laptop:8812', jobId: null },
    ]);
    ({ app, base } = await startTestServer(t.db, webConfig({ FINREP_DATA_DIR: t.dataDir })));
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await t?.drop();
  });

  it.each([1280, 375])('lists the skips at %i px in Chinese without overflow or script error', async (width) => {
    const { page, problems, context } = await b.open(width);
    await page.goto(`${base}/alerts#skipped`);
    const section = page.locator('#skipped');
    expect(await section.locator('h2').textContent()).toBe('跳过的预警运行');
    // Newest first: the last skip names the run still going, linked.
    expect(await section.locator(`a[href="/runs/${slow}"]`).count()).toBe(2);
    expect(await section.locator('text=尚未被 worker 接手').count()).toBe(1);
    expect(await section.locator('text=finrep alerts run（排队）').count()).toBe(1);
    expect(await b.overflow(page)).toBeLessThanOrEqual(0);
    await b.shot(page, `console-alerts-skips-${width}`);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the holding run’s page says how many it held off, at 375 px', async () => {
    const { page, problems, context } = await b.open(375);
    await page.goto(`${base}/runs/${slow}`);
    expect(await page.locator('text=它运行期间，2 次预警运行被跳过').count()).toBe(1);
    expect(await b.overflow(page)).toBeLessThanOrEqual(0);
    await b.shot(page, `console-run-skips-375`);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reads in English on an English page', async () => {
    const { page, problems, context } = await b.open(1280, { locale: 'en-US' });
    await page.goto(`${base}/alerts#skipped`);
    const section = page.locator('#skipped');
    expect(await section.locator('h2').textContent()).toBe('Skipped alert runs');
    expect(await section.locator('text=not picked up by a worker yet').count()).toBe(1);
    expect(await b.overflow(page)).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
