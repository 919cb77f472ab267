/**
 * The links every mail carries, end to end: an edition delivered through a real SMTP server on 127.0.0.1,
 * the received message parsed with mailparser, and its 退订 link, its one-click List-Unsubscribe POST and its
 * 在线查看 link followed against the real web server — the pages in the system Chromium. Tampered tokens get
 * 4xx and change nothing; an unsubscribed recipient is not mailed by the next edition; a hostile article title
 * stays inert in the web view. Screenshots go to FINREP_SCREENSHOTS (e.g. docs/screenshots) when set.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionsQ, recipientsQ } from '../src/db/queries/index.ts';
import { signWebView, verifyWebView, webViewUrlFor } from '../src/deliver/links.ts';
import { renderFromModel } from '../src/deliver/render.ts';
import { runDeliver } from '../src/deliver/run.ts';
import { createSmtpMailer } from '../src/deliver/smtp.ts';
import type { ReportModel } from '../src/domain.ts';
import { silentLogger } from '../src/log.ts';
import { storeReportModel } from '../src/report/stored-model.ts';
import { fixtureModel } from '../src/report/testdata/model.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { addUser, Client, SECRET, startTestServer, webConfig } from './helpers/web.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SHOTS = process.env.FINREP_SCREENSHOTS
  ? path.resolve(process.env.FINREP_SCREENSHOTS)
  : mkdtempSync(path.join(tmpdir(), 'finrep-shots-'));
const HOSTILE = '<script>alert("xss")</script>" onmouseover="alert(1)';
const log = silentLogger();

describe.skipIf(!existsSync(CHROMIUM))(`mail links: unsubscribe and web view (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let smtp: TestSmtp;
  let browser: Browser;
  /** Every recipient's delivered message, parsed. */
  const mails = new Map<string, Awaited<ReturnType<typeof simpleParser>>>();

  /** Composes an edition for `date` (stored model, as the pipeline leaves it) and delivers it over SMTP. */
  async function deliver(date: string, model: ReportModel) {
    const edition = await editionsQ.ensureEdition(database.db, date, new Date(Date.now() - 86_400_000), new Date());
    await editionsQ.updateEdition(database.db, edition.id, {
      status: 'composed',
      subject: `金融情报日报｜${date}`,
      model: storeReportModel(model),
    });
    const mailer = createSmtpMailer(
      { host: '127.0.0.1', port: smtp.port, secure: false, connectionTimeoutMs: 5000 },
      { log },
    );
    try {
      return await runDeliver(
        {
          db: database.db,
          log,
          mailer,
          from: { address: 'report@example.com', name: '金融情报日报' },
          ratePerSec: 50,
          maxAttempts: 2,
          secret: SECRET,
          publicBaseUrl: base,
        },
        {
          editionId: edition.id,
          edition: date,
          subject: `金融情报日报｜${date}`,
          render: renderFromModel(model),
          xlsx: Buffer.from('PK'),
          xlsxName: `金融情报日报-${date}.xlsx`,
        },
      );
    } finally {
      await mailer.close();
    }
  }

  const modelFor = (date: string): ReportModel => {
    const m = fixtureModel();
    const hostile = {
      ...m.top[0]!,
      title: HOSTILE,
      url: 'javascript:alert(document.cookie)',
      summary: `${HOSTILE} <img src=x onerror=alert(2)>`,
    };
    return { ...m, edition: date, top: [hostile, ...m.top.slice(1)], webViewUrl: `${base}/reports/${date}` };
  };

  async function shot(page: Page, name: string) {
    await page.screenshot({
      path: path.join(SHOTS, name),
      fullPage: name.includes('confirm') || name.includes('done'),
    });
  }

  async function open(width: number): Promise<{ page: Page; dialogs: string[]; problems: string[] }> {
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      locale: 'zh-CN',
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    const dialogs: string[] = [];
    const problems: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => problems.push(e.message));
    return { page, dialogs, problems };
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    ({ app, base } = await startTestServer(database.db, webConfig()));
    smtp = await startTestSmtp();
    await recipientsQ.upsertRecipients(database.db, [
      { email: 'zhang.san@example.com', name: '张三', groups: ['研究部'] },
      { email: 'li.si@example.com', name: '李四', groups: ['投资部'] },
      { email: 'wang.wu@example.com', name: '王五', groups: ['投资部'] },
    ]);
    const summary = await deliver('2025-11-10', modelFor('2025-11-10'));
    expect(summary.sent).toBe(3);
    for (const m of smtp.messages) {
      const parsed = await simpleParser(m.raw);
      mails.set(m.envelope.to[0]!, parsed);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
    await database?.drop();
  });

  const links = (email: string) => {
    const mail = mails.get(email)!;
    const html = String(mail.html);
    const raw = (key: string) => mail.headerLines.find((h) => h.key === key)?.line ?? '';
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    return {
      oneClick: /<(https?:[^>]+)>/.exec(raw('list-unsubscribe').replace(/\r?\n\s+/g, ''))![1]!,
      post: raw('list-unsubscribe-post').replace(/^List-Unsubscribe-Post:\s*/i, ''),
      unsubscribe: hrefs.find((h) => h.startsWith(`${base}/unsubscribe?`))!,
      webView: hrefs.find((h) => h.startsWith(`${base}/reports/2025-11-10?t=`))!,
      text: mail.text ?? '',
    };
  };

  it('every copy carries its own signed links (the unsubscribe link in the shape of the mails already sent)', () => {
    const a = links('zhang.san@example.com');
    const b = links('li.si@example.com');
    expect(a.post).toBe('List-Unsubscribe=One-Click');
    expect(a.oneClick).toBe(a.unsubscribe);
    expect(a.unsubscribe).toMatch(new RegExp(`^${base}/unsubscribe\\?t=[\\w-]+\\.[\\w-]+$`));
    expect(a.webView).toBeDefined();
    expect(a.text).toContain(`网页版：${a.webView}`);
    expect(a.webView).not.toBe(b.webView);
    expect(a.unsubscribe).not.toBe(b.unsubscribe);
    // no copy shows the generic, unsigned address
    expect(String(mails.get('zhang.san@example.com')!.html)).not.toContain(`href="${base}/reports/2025-11-10"`);
  });

  it(
    'the 在线查看 link opens the edition without an account; the hostile title stays inert',
    { timeout: 180_000 },
    async () => {
      const { webView } = links('zhang.san@example.com');
      for (const width of [1280, 375]) {
        const { page, dialogs, problems } = await open(width);
        const res = await page.goto(webView);
        expect(res?.status()).toBe(200);
        expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
        expect(res?.headers()['referrer-policy']).toBe('no-referrer');
        await expect(page.title()).resolves.toContain('金融情报日报');
        expect(await page.locator('text=今日要闻').count()).toBeGreaterThan(0);
        // the title is text on the page, not markup
        expect(await page.getByText('<script>alert("xss")</script>', { exact: false }).count()).toBeGreaterThan(0);
        expect(await page.evaluate(() => document.querySelectorAll('script, [onmouseover], [onerror]').length)).toBe(0);
        expect(
          await page.evaluate(
            () =>
              [...document.querySelectorAll('a')].filter((a) => /^javascript:/i.test(a.getAttribute('href') ?? ''))
                .length,
          ),
        ).toBe(0);
        await page.mouse.move(100, 300);
        expect(dialogs).toEqual([]);
        expect(problems).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await shot(page, `web-view-${width}.png`);
        await page.context().close();
      }
    },
  );

  it('web-view tokens: tampered, for another edition, expired, or for a recipient not mailed → 4xx; a signed-in user needs none', async () => {
    const { webView } = links('zhang.san@example.com');
    const t = new URL(webView).searchParams.get('t')!;
    const flip = `${t.slice(0, -3)}${t.at(-3) === 'A' ? 'B' : 'A'}${t.slice(-2)}`;
    const get = (p: string) => fetch(`${base}${p}`, { redirect: 'manual' });
    expect((await get(`/reports/2025-11-10?t=${flip}`)).status).toBe(403);
    expect((await get(`/reports/2025-11-09?t=${t}`)).status).toBe(403);
    const expired = signWebView(
      { edition: '2025-11-10', recipientId: 1, expiresAt: new Date(Date.now() - 1000) },
      SECRET,
    );
    expect((await get(`/reports/2025-11-10?t=${expired}`)).status).toBe(410);
    const stranger = signWebView(
      { edition: '2025-11-10', recipientId: 999, expiresAt: new Date(Date.now() + 86_400_000) },
      SECRET,
    );
    expect((await get(`/reports/2025-11-10?t=${stranger}`)).status).toBe(403);
    const bare = await get('/reports/2025-11-10');
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/login?next=%2Freports%2F2025-11-10');

    await addUser(database.db, 'viewer@example.com', 'viewer', 'correct horse battery');
    const client = new Client(base);
    expect((await client.signIn('viewer@example.com', 'correct horse battery')).status).toBe(303);
    const page = await client.get('/reports/2025-11-10');
    expect(page.status).toBe(200);
    expect(page.text).toContain('今日要闻');
  });

  it('a web-view link lives WEB_VIEW_LINK_DAYS days; an older one gets a page saying it expired', async () => {
    const config = webConfig({ WEB_VIEW_LINK_DAYS: '2' });
    expect(config.mail.webViewLinkDays).toBe(2);
    expect(webConfig().mail.webViewLinkDays).toBe(30);
    const t = new URL(links('zhang.san@example.com').webView).searchParams.get('t')!;
    const v = verifyWebView(t, SECRET);
    if (v.status !== 'ok') throw new Error(`the mail's own link does not verify (${v.status})`);
    const sentAgo = (days: number) =>
      webViewUrlFor(base, '2025-11-10', v.grant.recipientId, SECRET, {
        days: config.mail.webViewLinkDays,
        now: new Date(Date.now() - days * 86_400_000),
      });
    expect((await fetch(sentAgo(1), { redirect: 'manual' })).status).toBe(200);
    for (const [lang, words] of [
      ['zh-CN', '这个在线查看链接已过期'],
      ['en', 'This web-view link has expired'],
    ] as const) {
      const old = await fetch(sentAgo(3), { headers: { 'accept-language': lang }, redirect: 'manual' });
      expect(old.status).toBe(410);
      const html = await old.text();
      expect(html).toContain(words);
      expect(html).toContain('/login?next=%2Freports%2F2025-11-10');
      expect(html).not.toContain('今日要闻');
    }
    // The page as a reader sees it, on a desktop and a phone.
    for (const width of [1280, 375]) {
      const { page, problems } = await open(width);
      const res = await page.goto(sentAgo(3));
      expect(res?.status()).toBe(410);
      expect(await page.locator('body').textContent()).toContain('这个在线查看链接已过期');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(problems).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, `web-view-expired-${width}.png`), fullPage: true });
      await page.context().close();
    }
  });

  it('tampered unsubscribe tokens get 400 and change nothing', async () => {
    const { unsubscribe } = links('li.si@example.com');
    const u = new URL(unsubscribe);
    const t = u.searchParams.get('t')!;
    const [payload, mac] = t.split('.') as [string, string];
    const other = Buffer.from(
      `${Buffer.from(payload, 'base64url').toString().split(':')[0]}:wang.wu@example.com`,
    ).toString('base64url');
    for (const bad of [
      `${payload}.${mac.slice(0, -1)}${mac.at(-1) === 'A' ? 'B' : 'A'}`,
      `${other}.${mac}`,
      payload,
      '',
    ]) {
      const get = await fetch(`${base}/unsubscribe?t=${encodeURIComponent(bad)}`);
      expect(get.status).toBe(400);
      const post = await fetch(`${base}/unsubscribe?t=${encodeURIComponent(bad)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(post.status).toBe(400);
    }
    const rows = await recipientsQ.listRecipients(database.db);
    expect(rows.every((r) => r.unsubscribedAt === null)).toBe(true);
  });

  it(
    'the 退订 link: a confirm page (a GET changes nothing), then the button unsubscribes',
    { timeout: 180_000 },
    async () => {
      const { unsubscribe } = links('zhang.san@example.com');
      const subscribed = async () =>
        (await recipientsQ.findRecipientByEmail(database.db, 'zhang.san@example.com'))!.unsubscribedAt === null;
      for (const width of [1280, 375]) {
        const { page, problems } = await open(width);
        const res = await page.goto(unsubscribe);
        expect(res?.status()).toBe(200);
        await expect(page.locator('h1').textContent()).resolves.toBe('退订金融情报日报');
        expect(await page.textContent('main')).toContain('z***n@example.com');
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await shot(page, `web-unsubscribe-confirm-${width}.png`);
        expect(await subscribed()).toBe(true);
        if (width === 375) {
          await page.getByRole('button', { name: '确认退订' }).click();
          await page.waitForLoadState();
          await expect(page.locator('h1').textContent()).resolves.toBe('已退订');
          expect(await page.textContent('main')).toContain('已退订，今后不会再收到');
          await shot(page, `web-unsubscribe-done-${width}.png`);
        }
        expect(problems).toEqual([]);
        await page.context().close();
      }
      expect(await subscribed()).toBe(false);
      // the link again, later: it says so (desktop width)
      const { page } = await open(1280);
      await page.goto(unsubscribe);
      await expect(page.locator('h1').textContent()).resolves.toBe('已退订');
      expect(await page.textContent('main')).toContain('此前已经退订');
      await shot(page, 'web-unsubscribe-done-1280.png');
      await page.context().close();
    },
  );

  it('RFC 8058 one-click POSTs (form-encoded and multipart) unsubscribe without a session or CSRF token', async () => {
    const li = links('li.si@example.com');
    const r1 = await fetch(li.oneClick, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(r1.status).toBe(200);
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const r2 = await fetch(links('wang.wu@example.com').oneClick, { method: 'POST', body: form });
    expect(r2.status).toBe(200);
    const again = await fetch(li.oneClick, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(again.status).toBe(200);
    for (const email of ['li.si@example.com', 'wang.wu@example.com'])
      expect((await recipientsQ.findRecipientByEmail(database.db, email))!.unsubscribedAt).not.toBeNull();
  });

  it('an unsubscribed recipient is never mailed again', async () => {
    await recipientsQ.upsertRecipients(database.db, [{ email: 'zhao.liu@example.com', name: '赵六', groups: [] }]);
    const before = smtp.messages.length;
    const summary = await deliver('2025-11-11', modelFor('2025-11-11'));
    expect(summary.recipients).toBe(1);
    expect(summary.sent).toBe(1);
    const to = smtp.messages.slice(before).flatMap((m) => m.envelope.to);
    expect(to).toEqual(['zhao.liu@example.com']);
  });
});
