/**
 * The alerts page's 运维告警 section in the system Chromium: recent operational incidents (open and resolved,
 * a channel refused, hostile source text) lay out without overflow at 1280 and 375 px, without script error;
 * screenshots of the page at both widths (the alerts page is `console-alerts-*`).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsAlertLog } from '../src/db/schema/index.ts';
import { openConsoleBrowser, HAS_CHROMIUM } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const HOSTILE = '<img src=x onerror=alert(1)>';
const pageProblems = (problems: string[]) => problems.filter((p) => !p.includes('net::ERR_NETWORK_CHANGED'));

describe.skipIf(!HAS_CHROMIUM)(`the operational alerts section in Chromium (${TEST_DB})`, () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let b: ConsoleBrowser;
  let base: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const config = webConfig({
      FINREP_DATA_DIR: t.dataDir,
      OPS_ALERT_CHANNELS: 'ops-wecom,ops-feishu',
      OPS_ALERT_MAIL: 'oncall@example.com',
    });
    await addUser(t.db, 'admin@example.com', 'admin', PASSWORD);
    const at = (h: number) => new Date(Date.UTC(2026, 11, 5, h, 10));
    const sent = (target: string, h: number) => ({ target, status: 'sent', error: null, at: at(h).toISOString() });
    await t.db.insert(opsAlertLog).values([
      {
        key: 'edition-late:2026-12-04',
        kind: 'edition-late',
        severity: 'critical',
        subject: '日报 2026-12-04',
        message: '日报 2026-12-04 已过截止时间 2026-12-04 06:15，仍未送达。',
        openedAt: at(0),
        status: 'sent',
        resolvedAt: at(1),
        resolveStatus: 'sent',
        targets: [sent('channel:ops-wecom', 0), sent('channel:ops-feishu', 0), sent('mail:oncall@example.com', 0)],
      },
      {
        key: 'source-failing:7:2026-12-04T10:05:00.000Z',
        kind: 'source-failing',
        severity: 'warning',
        subject: `信源 证券时报快讯 ${HOSTILE}`,
        message: `信源「证券时报快讯」超过 24 小时未抓取成功。最近错误：${HOSTILE}`,
        openedAt: at(2),
        status: 'sent',
        reason: '1 of 3 targets not reached',
        targets: [
          sent('channel:ops-wecom', 2),
          {
            target: 'channel:ops-feishu',
            status: 'failed',
            error:
              'channel "ops-feishu" (open.feishu.cn): Feishu code 19021 (sign match fail or timestamp is not within one hour from current time)',
            at: at(2).toISOString(),
          },
          sent('mail:oncall@example.com', 2),
        ],
      },
      {
        key: 'llm-budget:day:2026-12-05',
        kind: 'llm-budget',
        severity: 'warning',
        subject: '模型预算 2026-12-05',
        message: '今日（2026-12-05）模型费用 ¥8.40，已达预算 ¥10.00 的 84%（告警阈值 80%）。',
        openedAt: at(3),
        status: 'sent',
        targets: [sent('channel:ops-wecom', 3), sent('channel:ops-feishu', 3), sent('mail:oncall@example.com', 3)],
      },
    ]);
    ({ app, base } = await startTestServer(t.db, config));
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await t?.drop();
  });

  it.each([1280, 375])('lays out the incidents at %i px without overflow or script error', async (width) => {
    const { page, problems, context } = await b.open(width);
    await page.goto(`${base}/alerts#ops`);
    const section = page.locator('#ops');
    expect(await section.locator('text=信源失败').count()).toBeGreaterThan(0);
    expect(await section.locator('text=Feishu code 19021').count()).toBe(1);
    // The hostile subject is text, not an element.
    expect(await page.locator('img[src=x]').count()).toBe(0);
    expect(await b.overflow(page)).toBeLessThanOrEqual(0);
    await b.shot(page, `console-alerts-${width}`);
    expect(pageProblems(problems)).toEqual([]);
    await context.close();
  });
});
