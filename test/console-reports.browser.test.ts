/**
 * The reports pages in the system Chromium: an editor reviews a draft (drops a story, rewrites a summary,
 * sends a test copy to themselves over a real SMTP server, approves), and the list, an edition's page and the
 * review page fit at 1280 and 375 px with hostile titles inert; screenshots of each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { editionsQ } from '../src/db/queries/index.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import type { EditionStatus } from '../src/db/schema/index.ts';
import { startEmbedded } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { storeReportModel } from '../src/report/stored-model.ts';
import { fixtureModel } from '../src/report/testdata/model.ts';
import { buildServer } from '../src/web/server.ts';
import { HAS_CHROMIUM, openConsoleBrowser } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { addUser, SECRET, webConfig } from './helpers/web.ts';

const PW = 'correct horse battery staple';
const EDITOR = 'editor@example.com';
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'">央行<script>window.pwned=1</script>';
const DRAFT = '2025-11-11';
const SENT = '2025-11-10';

describe.skipIf(!HAS_CHROMIUM)('the reports pages in Chromium', () => {
  let t: TestDatabase;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  let b: ConsoleBrowser;
  let base: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-reports-browser-'));
  const log = silentLogger();

  beforeAll(async () => {
    t = await createTestDatabase();
    smtp = await startTestSmtp();
    const config = webConfig({
      FINREP_DATA_DIR: dataDir,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: 'finrep@example.com',
      SCHEDULE_CATCHUP_HOURS: '0',
    });
    // Resends go out through the embedded deliver job to the test SMTP server.
    const openMailer = async () => {
      const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, secure: false }, { log });
      return { mailer, close: () => mailer.close() };
    };
    embedded = await startEmbedded({ db: t.db, config, log, secret: SECRET, openMailer });
    app = await buildServer({ config, db: t.db, log, secret: SECRET, jobQueue: embedded.queue });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await addUser(t.db, EDITOR, 'admin', PW);
    await seed(t);
    b = await openConsoleBrowser(base, EDITOR, PW);
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await app?.close();
    await embedded?.stop(5000);
    await smtp?.close();
    await t?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reviews a draft: drop, edit a summary, send a test copy, approve', async () => {
    const { page, problems, context } = await b.open(1280);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/reports/${DRAFT}/review`);
    await b.shot(page, 'console-reports-review-1280');
    expect(await b.overflow(page)).toBeLessThanOrEqual(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.title()).not.toBe('pwned');
    // The preview frame holds the real email, sandboxed.
    const frame = page.frameLocator('iframe.rp-preview');
    await expect.poll(() => frame.locator('body').innerText(), { timeout: 10_000 }).toContain('今日要闻');

    const items = page.locator('.rp-lists .panel').first().locator('li.rp-item');
    const droppedTitle = await items.nth(1).locator('.rp-title a, .rp-title span').last().innerText();
    await items.nth(1).getByRole('button', { name: '删除' }).click();
    await page.waitForURL(/done=saved/);
    await expect.poll(() => page.locator('.rp-item.dropped').count()).toBe(1);

    const first = page.locator('.rp-lists .panel').first().locator('li.rp-item').first();
    await first.locator('details.rp-edit summary').click();
    await first.locator('textarea[name=summary]').fill('编辑改写：降准落地，流动性合理充裕');
    await first.getByRole('button', { name: '保存' }).click();
    await page.waitForURL(/done=saved/);
    expect(await page.locator('.rp-lists').innerText()).toContain('编辑改写：降准落地');
    await expect
      .poll(() => page.frameLocator('iframe.rp-preview').locator('body').innerText(), { timeout: 10_000 })
      .toContain('编辑改写：降准落地');

    await page.getByRole('button', { name: /发送测试邮件给我/ }).click();
    await page.waitForURL(/test=/, { timeout: 30_000 });
    expect(await page.locator('.notice.info').first().innerText()).toContain(EDITOR);
    expect(smtp.messages.map((m) => m.envelope.to)).toEqual([[EDITOR]]);

    await page.getByRole('button', { name: '批准并发送' }).click();
    await page.waitForURL(new RegExp(`/reports/${DRAFT}/detail\\?done=approved`));
    expect(await page.locator('.notice').first().innerText()).toContain('已批准');
    const e = await editionsQ.findEditionByDate(t.db, DRAFT);
    expect(e!.approvedBy).toBe(`user:${EDITOR}`);
    expect(e!.reviewEdits!.dropped).toHaveLength(1);
    expect(droppedTitle.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);

  it('lays out the list, an edition and a fresh draft at 1280 and 375 px', async () => {
    // A second draft to photograph at 375 (the first was approved above).
    await editionsQ.updateEdition(t.db, (await editionsQ.findEditionByDate(t.db, DRAFT))!.id, {
      status: 'review',
      approvedAt: null,
      approvedBy: null,
    });
    for (const width of [1280, 375]) {
      const { page, problems, context } = await b.open(width);
      for (const [name, url] of [
        ['list', '/reports'],
        ['edition', `/reports/${SENT}/detail`],
        ['review', `/reports/${DRAFT}/review`],
      ] as const) {
        if (name === 'review' && width === 1280) continue; // photographed while reviewing
        await page.goto(`${base}${url}`);
        if (name === 'review') {
          const body = page.frameLocator('iframe.rp-preview').locator('body');
          await expect.poll(() => body.innerText(), { timeout: 30_000 }).toContain('今日要闻');
          await page.locator('iframe.rp-preview').scrollIntoViewIfNeeded();
        }
        expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
        expect(await b.overflow(page), `${name} at ${width}`).toBeLessThanOrEqual(0);
        await b.shot(page, `console-reports-${name}-${width}`);
      }
      expect(problems).toEqual([]);
      await context.close();
    }
  }, 150_000);

  it('resends an edition to one recipient from its page, then switches the page to English', async () => {
    const { page, problems, context } = await b.open(1280);
    const who = 'analyst47@example.com'; // its delivery failed
    await page.goto(`${base}/reports/${SENT}/detail`);
    const one = page.locator('form.rp-resend').first();
    await one.locator('input[name=email]').fill(who);
    await Promise.all([page.waitForURL(/resent=1/), one.locator('button[type=submit]').click()]);
    expect(await page.locator('.notice').first().innerText()).toContain(who);
    const row = async () =>
      (
        (await t.db.execute(
          sql`select dl.status, dl.resends from delivery_log dl join editions e on e.id = dl.edition_id
              where e.date = ${SENT} and dl.email = ${who}`,
        )) as unknown as { rows: { status: string; resends: number }[] }
      ).rows[0];
    await expect.poll(row, { timeout: 30_000 }).toMatchObject({ status: 'sent', resends: 1 });
    const mails = smtp.messages.filter((m) => m.envelope.to.includes(who));
    expect(mails).toHaveLength(1);
    expect((await simpleParser(mails[0]!.raw)).subject).toContain(SENT);
    // Nobody else got this edition again.
    expect(smtp.messages.filter((m) => m.envelope.to.some((to) => to.startsWith('analyst')))).toHaveLength(1);

    // The header's switch: the same page in English, remembered for the next one.
    await page.click('a.lang');
    await page.waitForURL(/lang=en/);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('.rp-list').innerText()).toContain('uncertain');
    await page.goto(`${base}/reports`);
    expect(await page.locator('h1').innerText()).toBe('Reports');
    expect(await page.locator('main').innerText()).toContain('partly delivered');
    await b.shot(page, 'console-reports-list-en-1280');
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});

/** Seven editions of a week, one of them a draft under review, with deliveries and hostile titles. */
async function seed(t: TestDatabase): Promise<void> {
  const statuses: [string, EditionStatus, number, number, number][] = [
    ['2025-11-05', 'delivered', 48, 0, 0],
    ['2025-11-06', 'delivered', 48, 0, 0],
    ['2025-11-07', 'partial', 45, 2, 1],
    ['2025-11-08', 'delivered', 48, 0, 0],
    ['2025-11-09', 'failed', 0, 0, 0],
    [SENT, 'delivered', 46, 1, 1],
    [DRAFT, 'review', 0, 0, 0],
  ];
  const emails = Array.from({ length: 48 }, (_, i) => `analyst${i + 1}@example.com`);
  for (const [i, email] of emails.entries()) {
    const group = i % 3 === 0 ? '研究部' : i % 3 === 1 ? '投资部' : '风控部';
    await t.db.execute(
      sql`insert into recipients (email, name, groups) values (${email}, ${`分析师${i + 1}`}, ${JSON.stringify([group])}::jsonb)`,
    );
  }
  for (const [date, status, sent, failed, uncertain] of statuses) {
    const to = new Date(`${date}T22:00:00Z`);
    const e = await editionsQ.ensureEdition(t.db, date, new Date(to.getTime() - 86_400_000), to);
    const m = fixtureModel();
    m.edition = date;
    m.top[0]!.title = `${HOSTILE}${m.top[0]!.title}`;
    // Fewer stories than the fixture's 21: screenshots small enough to commit, every kind of row still there.
    m.top = m.top.slice(0, 4);
    m.sections = m.sections.slice(0, 4).map((sec) => ({ ...sec, items: sec.items.slice(0, 2) }));
    const composed = status !== 'failed';
    await editionsQ.updateEdition(t.db, e.id, {
      status,
      model: composed ? storeReportModel(m) : null,
      subject: composed ? `金融情报日报｜${date}` : null,
      itemCount: composed ? m.top.length + m.sections.reduce((n, sec) => n + sec.items.length, 0) : 0,
      composedAt: composed ? new Date(to.getTime() + 8 * 60_000) : null,
      deliveredAt: status === 'delivered' || status === 'partial' ? new Date(to.getTime() + 12 * 60_000) : null,
      ...(status === 'review' && { reviewRunId: 7, reviewDeadlineAt: new Date(Date.now() + 30 * 60_000) }),
    });
    const rows = emails.slice(0, sent + failed + uncertain).map((email, i) => ({
      email,
      status: i < sent ? 'sent' : i < sent + failed ? 'failed' : 'uncertain',
    }));
    for (const r of rows)
      await t.db
        .execute(sql`insert into delivery_log (edition_id, recipient_id, email, status, attempts, sent_at, last_reply)
        select ${e.id}, id, email, ${r.status}, 1, ${r.status === 'sent' ? to.toISOString() : null}::timestamptz,
          ${r.status === 'failed' ? '550 5.1.1 <' + r.email + '>: Recipient address rejected' : r.status === 'sent' ? '250 2.0.0 Ok: queued' : null}
        from recipients where email = ${r.email}`);
    await t.db
      .execute(sql`insert into llm_usage (provider, model, edition_id, prompt_tokens, completion_tokens, cost, outcome, latency_ms)
      values ('deepseek', 'deepseek-chat', ${e.id}, 120000, 30000, ${composed ? 1.86 : 0.4}, 'ok', 900)`);
  }
}
