import type { FastifyInstance } from 'fastify';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveriesQ, editionsQ, recipientsQ } from '../src/db/queries/index.ts';
import { deliveryLog, recipients } from '../src/db/schema/index.ts';
import type { DeliveryStatus } from '../src/db/schema/index.ts';
import { HAS_CHROMIUM, openConsoleBrowser } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏', '黄强', '周婷', '吴刚', '徐丽', '孙浩'];
const GROUPS = [['研究部'], ['投资部', '研究部'], ['风控部'], ['宏观组', '固收组'], ['管理层']];
const HOSTILE = '<script>alert("x")</script>李雷';

/** A realistic whitelist: Chinese names and groups, one unsubscribed, one disabled, one hostile name. */
async function seed(db: TestDatabase['db']): Promise<number> {
  await recipientsQ.upsertRecipients(db, [
    ...NAMES.map((name, i) => ({
      email: `${['zhang.wei', 'wang.fang', 'li.na', 'liu.yang', 'chen.jing', 'yang.lei', 'zhao.min', 'huang.qiang', 'zhou.ting', 'wu.gang', 'xu.li', 'sun.hao'][i]}@fund.example.com`,
      name,
      groups: GROUPS[i % GROUPS.length]!,
    })),
    {
      email: 'very.long.address.of.the.research.department.head@subsidiary.example.com.cn',
      name: HOSTILE,
      groups: ['研究部'],
    },
  ]);
  const rows = await db.select({ id: recipients.id, email: recipients.email }).from(recipients);
  const gone = rows.find((r) => r.email.startsWith('chen.jing'))!;
  await recipientsQ.unsubscribeRecipient(db, gone.id, gone.email);
  await recipientsQ.setRecipientEnabled(db, 'wu.gang@fund.example.com', false);
  const statuses: DeliveryStatus[] = [
    'sent',
    'sent',
    'failed',
    'uncertain',
    'sent',
    'retrying',
    'sent',
    'sent',
    'failed',
  ];
  for (const date of ['2026-12-04', '2026-12-05']) {
    const ed = await editionsQ.ensureEdition(db, date, new Date(`${date}T00:00:00Z`), new Date(`${date}T01:00:00Z`));
    await deliveriesQ.queueDeliveries(
      db,
      ed.id,
      rows.map((r) => ({ recipientId: r.id, email: r.email })),
    );
    // One update per status (the rows of a status differ only in their ids).
    for (const s of new Set(statuses)) {
      const ids = rows.filter((_, i) => statuses[i % statuses.length] === s).map((r) => r.id);
      await db
        .update(deliveryLog)
        .set({
          status: s,
          attempts: s === 'sent' ? 1 : 3,
          messageId: sql`'<${sql.raw(date)}.' || ${deliveryLog.recipientId} || '.a1b2c3@finrep.example.com>'`,
          replyCode: s === 'sent' ? 250 : s === 'failed' ? 550 : null,
          lastReply:
            s === 'sent'
              ? '250 2.0.0 Ok: queued as 4F2A91'
              : s === 'failed'
                ? '550 5.1.1 <user>: Recipient address rejected'
                : null,
          error: s === 'uncertain' ? 'connection lost after DATA' : null,
          sentAt: s === 'sent' ? new Date(`${date}T22:05:00Z`) : null,
        })
        .where(and(eq(deliveryLog.editionId, ed.id), inArray(deliveryLog.recipientId, ids)));
    }
  }
  return gone.id;
}

describe.skipIf(!HAS_CHROMIUM)('console in Chromium: recipients and deliveries', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let b: ConsoleBrowser;
  let unsubscribedId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    unsubscribedId = await seed(database.db);
    ({ app, base } = await startTestServer(database.db, webConfig()));
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await database?.drop();
  });

  it('imports a CSV with one bad row from the page: the error names its line, nothing is imported', async () => {
    const before = await recipientsQ.countRecipients(database.db);
    const { page, problems } = await b.open(1280);
    await page.goto(`${base}/recipients/import`);
    const csv =
      'email,name,groups\nnew.one@fund.example.com,新同事,研究部\nbad address@fund.example.com,坏地址,研究部\n';
    await page.setInputFiles('input[name=file]', {
      name: '收件人.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await Promise.all([
      page.waitForURL(`${base}/recipients/import`),
      page.click('form[action="/recipients/import"] button'),
    ]);
    await expect.poll(() => page.textContent('.notice.error')).toContain('文件有 1 行错误');
    expect(await page.textContent('.rcp-line')).toBe('3');
    expect(await page.textContent('table.data')).toContain('地址中有空格');
    await b.shot(page, 'console-recipients-import-1280');
    expect(await recipientsQ.countRecipients(database.db)).toBe(before);

    // The same file with the line fixed: a preview, then the import.
    await page.setInputFiles('input[name=file]', {
      name: '收件人.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv.replace('bad address@', 'fixed@')),
    });
    await page.click('form[action="/recipients/import"] button');
    await page.waitForSelector('form[action="/recipients/import/apply"]');
    expect(await page.textContent('main')).toContain('将新增 2 位');
    await b.shot(page, 'console-recipients-import-preview-1280');
    await Promise.all([
      page.waitForURL(/\/recipients\?done=imported/),
      page.click('form[action="/recipients/import/apply"] button'),
    ]);
    expect(await page.textContent('.notice.info')).toContain('导入完成：新增 2，更新 0');
    expect(await recipientsQ.countRecipients(database.db)).toBe(before + 2);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  for (const width of [1280, 375]) {
    it(`lists recipients, their form and the delivery log at ${width} px`, async () => {
      const { page, problems } = await b.open(width);
      await page.goto(`${base}/recipients`);
      expect(await page.textContent('main')).toContain(HOSTILE);
      expect(await page.$('main script')).toBeNull();
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-recipients-list-${width}`);

      await page.goto(`${base}/recipients/${unsubscribedId}`);
      expect(await page.textContent('main')).toContain('通过邮件中的退订链接退订');
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-recipients-edit-${width}`);

      if (width === 375) {
        await page.goto(`${base}/recipients/import`);
        await page.setInputFiles('input[name=file]', {
          name: 'list.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from('email,name,groups\nok@fund.example.com,好,研究部\n<x@y>@z,坏,研究部\n'),
        });
        await page.click('form[action="/recipients/import"] button');
        await page.waitForSelector('.rcp-line');
        expect(await b.overflow(page)).toBeLessThanOrEqual(0);
        await b.shot(page, 'console-recipients-import-375');
      }

      await page.goto(`${base}/deliveries`);
      expect(await page.textContent('main')).toContain('重试本期全部失败');
      expect(await page.textContent('main')).toContain('标记为已送达');
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-deliveries-${width}`);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('marks an uncertain row delivered from the log, after the confirmation', async () => {
    const { page } = await b.open(1280);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/deliveries?status=uncertain`);
    const rows = await page.$$('table.data tbody tr');
    expect(rows.length).toBeGreaterThan(0);
    await Promise.all([
      page.waitForURL(/done=marked/),
      page.click('table.data tbody tr:first-child form[action="/deliveries/resolve"] button'),
    ]);
    expect(await page.textContent('.notice.info')).toContain('已将 1 封标记为已送达');
    expect((await page.$$('table.data tbody tr')).length).toBe(rows.length - 1);
    await page.context().close();
  });
});
