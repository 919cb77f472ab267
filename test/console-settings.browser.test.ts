/**
 * 系统设置 and 模型用量 in the system Chromium: a refused save shows its error beside the field (and a good
 * one the notice), the usage page's gauges and cost chart draw, nothing overflows at 375 px, no script
 * error or CSP refusal; screenshots of both pages at 1280 and 375 px with hostile, realistic data.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionsQ, settingsQ } from '../src/db/queries/index.ts';
import { llmUsage } from '../src/db/schema/index.ts';
import { dateInZone } from '../src/lib/time.ts';
import { openConsoleBrowser, HAS_CHROMIUM } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const HOSTILE = '<img src=x onerror=alert(1)>';
/** Script errors and CSP refusals, without Chromium's own network-change notices (the sandbox's, not the page's). */
const pageProblems = (problems: string[]) => problems.filter((p) => !p.includes('net::ERR_NETWORK_CHANGED'));

describe.skipIf(!HAS_CHROMIUM)(`console settings and usage in Chromium (${TEST_DB})`, () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let b: ConsoleBrowser;

  beforeAll(async () => {
    t = await createTestDatabase();
    const config = webConfig({ FINREP_DATA_DIR: t.dataDir, LLM_DAILY_BUDGET: '3', LLM_MONTHLY_BUDGET: '60' });
    await addUser(t.db, 'admin@example.com', 'admin', PASSWORD);
    // A month of ledger: DeepSeek most days, Qwen when it was down, an edition a day (one insert).
    const now = Date.now();
    const ledger: (typeof llmUsage.$inferInsert)[] = [];
    for (let d = 29; d >= 0; d--) {
      const at = new Date(now - d * 86_400_000);
      const date = dateInZone(at, config.timeZone);
      const ed = await editionsQ.ensureEdition(t.db, date, new Date(at.getTime() - 86_400_000), at);
      for (const [provider, calls] of [
        ['deepseek', d % 7 === 3 ? 4 : 40 + ((d * 7) % 25)],
        ['qwen', d % 7 === 3 ? 38 : d % 5],
      ] as const)
        for (let i = 0; i < calls; i += 8)
          ledger.push({
            editionId: ed.id,
            provider,
            model: provider === 'deepseek' ? 'deepseek-chat' : 'qwen-max',
            promptTokens: 9000,
            cachedTokens: 3000 + ((d * 131) % 4000),
            completionTokens: 2400,
            latencyMs: 900,
            outcome: 'ok',
            cost: provider === 'deepseek' ? '0.0204' : '0.0374',
            createdAt: at,
          });
    }
    await t.db.insert(llmUsage).values(ledger);
    await settingsQ.setSetting(
      t.db,
      'watchlist',
      { tickers: ['600519.SH', '300750.SZ'], companies: ['贵州茅台', '宁德时代', HOSTILE], keywords: ['降准', '降息'] },
      'admin@example.com',
    );
    await settingsQ.setSetting(t.db, 'env.REPORT_TOPN', { value: '8' }, 'admin@example.com');
    ({ app, base } = await startTestServer(t.db, config));
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await app?.close();
    await t?.drop();
  });

  it('refuses a bad value beside its field, saves a good one, at 1280 and 375 px', async () => {
    for (const width of [1280, 375]) {
      const { page, problems, context } = await b.open(width);
      await page.goto(`${base}/settings`);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-settings-settings-${width}`);
      const form = page.locator('form[action="/settings/SCHEDULE_CRON"]');
      await form.locator('input[name=value]').fill('every morning');
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
      const error = page.locator('#SCHEDULE_CRON .field-error');
      await expect.poll(() => error.textContent()).toContain('cron expression');
      expect(await page.locator('#SCHEDULE_CRON input[name=value]').inputValue()).toBe('every morning');
      expect(await page.locator('[role=alert].notice').count()).toBe(1);
      expect(await page.evaluate(() => document.title)).toContain('系统设置');
      if (width === 375) await b.shot(page, 'console-settings-settings-error-375');
      expect(await settingsQ.getSetting(t.db, 'env.SCHEDULE_CRON')).toBeNull();
      const again = page.locator('form[action="/settings/SCHEDULE_CRON"]');
      await again.locator('input[name=value]').fill('30 5 * * 1-5');
      await Promise.all([page.waitForURL(/saved=SCHEDULE_CRON/), again.locator('button[type=submit]').click()]);
      expect(await page.locator('#SCHEDULE_CRON .badge.info').count()).toBe(1);
      expect(await settingsQ.getSetting(t.db, 'env.SCHEDULE_CRON')).toEqual({ value: '30 5 * * 1-5' });
      await settingsQ.deleteSetting(t.db, 'env.SCHEDULE_CRON');
      expect(pageProblems(problems)).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('draws the budget gauges and the cost chart, at 1280 and 375 px', async () => {
    for (const width of [1280, 375]) {
      const { page, problems, context } = await b.open(width);
      await page.goto(`${base}/admin/usage`);
      expect(await b.drawnCharts(page, 3)).toBe(3);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-settings-usage-${width}`);
      expect(pageProblems(problems)).toEqual([]);
      await context.close();
    }
  }, 60_000);
});
