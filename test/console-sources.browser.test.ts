/**
 * The sources pages in the system Chromium: add a web source from the form, test it from the page (items
 * from a site on 127.0.0.1, nothing stored), save it; an edit with an inline error; the list with health and
 * backoff; an import plan — each at 1280 and 375 px, with no script or CSP error and nothing wider than a phone.
 */
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer as startSite } from '../src/collect/test-server.ts';
import type { TestServer } from '../src/collect/test-server.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import { HAS_CHROMIUM, openConsoleBrowser } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const html = (body: string) => (_req: unknown, res: import('node:http').ServerResponse) =>
  void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
const LIST = `<html><body><ul class="news">
<li><a href="/p/1">证监会发布上市公司监管新规</a></li>
<li><a href="/p/2">财政部将发行超长期特别国债 &lt;img src=x onerror=alert(1)&gt;</a></li></ul></body></html>`;
// The list as a browser sees it: the links exist only once the page's script has run (a dynamic source).
const SCRIPTED = `<html><body><ul class="news"></ul><script src="/list.js"></script></body></html>`;
const SCRIPT = `setTimeout(() => { document.querySelector('ul.news').innerHTML =
  '<li><a href="/p/1">证监会发布上市公司监管新规</a></li><li><a href="/p/2">财政部将发行超长期特别国债</a></li>'; }, 50);`;
const article = (title: string, date: string, body: string) =>
  `<html><head><title>${title}</title></head><body><h1 class="t">${title}</h1><span class="d">${date}</span>` +
  `<div class="c"><p>${body}</p><p>${body}</p></div></body></html>`;

/** A realistic list: feeds and sites, one failing in backoff, one disabled, hostile names. */
const SEEDS = [
  ['rss', '新华财经 · 要闻', 'https://www.cnfin.com/rss/news.xml', 0, null, 1.5, true, 38],
  ['rss', '第一财经 快讯', 'https://www.yicai.com/feed/brief.xml', 0, null, 1, true, 54],
  [
    'web',
    '中国人民银行 新闻发布',
    'https://www.pbc.gov.cn/goutongjiaoliu/113456/113469/index.html',
    4,
    'HTTP 503 Service Unavailable (Retry-After 1800)',
    2,
    true,
    3,
  ],
  [
    'dynamic',
    '<script>alert("源")</script> 东方财富 行情',
    'https://quote.eastmoney.com/center/',
    0,
    null,
    1,
    true,
    12,
  ],
  [
    'rss',
    'Reuters Business',
    'https://feeds.reuters.com/reuters/businessNews',
    1,
    'fetch timed out after 30 s',
    0.8,
    true,
    21,
  ],
  ['web', '上交所 公告（停用）', 'https://www.sse.com.cn/disclosure/announcement/', 0, null, 1, false, 0],
] as const;

describe.skipIf(!HAS_CHROMIUM)('console sources in Chromium', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let site: TestServer;
  let b: ConsoleBrowser;

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    site = await startSite({
      '/news/': html(LIST),
      '/scripted/': html(SCRIPTED),
      '/list.js': (_req, res) => void res.writeHead(200, { 'content-type': 'text/javascript' }).end(SCRIPT),
      '/p/1': html(
        article(
          '证监会发布上市公司监管新规',
          '2025-11-10 09:15',
          '证监会今日发布关于加强上市公司监管的若干规定，自发布之日起施行，重点规范信息披露与关联交易。',
        ),
      ),
      '/p/2': html(
        article(
          '财政部将发行超长期特别国债',
          '2025-11-10 10:30',
          '财政部将于下周发行超长期特别国债，规模为一千亿元，期限为三十年，用于支持重大项目建设。',
        ),
      ),
    });
    const now = Date.now();
    for (const [kind, name, url, failures, error, weight, enabled, recent] of SEEDS) {
      const row = await sourcesQ.createSource(database.db, {
        key: null as unknown as string,
        kind,
        name,
        url,
        weight,
        enabled,
        timezone: null,
        allowPrivate: false,
        headers: {},
        rules: kind === 'rss' ? null : { itemSelector: 'ul.news a' },
      });
      await database.db.execute(sql`update sources set consecutive_failures = ${failures}, last_error = ${error},
        last_fetch_at = ${new Date(now - 3600_000).toISOString()},
        last_success_at = ${failures > 0 ? new Date(now - 3 * 86_400_000).toISOString() : new Date(now - 3600_000).toISOString()},
        next_attempt_at = ${failures > 0 ? new Date(now + 80 * 60_000).toISOString() : null} where id = ${row.id}`);
      // articles of the last days (every 3 hours), for the 7-day column
      await database.db.execute(sql`insert into articles (source_id, url, canonical_url, url_hash, title, first_seen_at,
        effective_at, content_hash, simhash, band0, band1, band2, band3)
        select ${row.id}, u, u, md5(u), '文章 ' || g, now() - g * interval '3 hours', now() - g * interval '3 hours', md5(u), 0, 0, 0, 0, 0
        from generate_series(1, ${recent}) g, lateral (select ${url} || '#' || g as u) x`);
    }
    ({ app, base } = await startTestServer(database.db, webConfig({ TZ: 'Asia/Shanghai' })));
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await app?.close();
    await site?.close();
    await database?.drop();
  });

  it('adds a web source, tests it from the page (nothing stored), saves it; an edit shows its inline error', async () => {
    const { page, problems, context } = await b.open(1280);
    await page.goto(`${base}/sources/new`);
    // a feed has no selector rules: they appear with the kind
    expect(await page.isVisible('input[name=itemSelector]')).toBe(false);
    await page.selectOption('select[name=kind]', 'web');
    expect(await page.isVisible('input[name=itemSelector]')).toBe(true);
    expect(await page.isVisible('input[name=waitForSelector]')).toBe(false);
    await page.fill('input[name=name]', '证监会 要闻');
    await page.fill('input[name=url]', site.url('/news/'));
    await page.fill('input[name=itemSelector]', 'ul.news a');
    await page.fill('input[name=titleSelector]', 'h1.t');
    await page.fill('input[name=dateSelector]', 'span.d');
    await page.fill('input[name=contentSelector]', 'div.c');
    await page.check('input[name=allowPrivate]');
    await Promise.all([page.waitForURL(`${base}/sources/test`), page.click('button[formaction="/sources/test"]')]);
    const result = page.locator('#test-result');
    await expect.poll(() => result.textContent()).toContain('找到 2 条');
    expect(await result.textContent()).toContain('证监会今日发布关于加强上市公司监管的若干规定');
    expect(await page.locator('#test-result img').count()).toBe(0);
    expect(await page.inputValue('input[name=itemSelector]')).toBe('ul.news a');
    await b.shot(page, 'console-sources-test-1280');
    expect(
      await database.db
        .execute(sql`select 1 from articles where url like 'http://127.0.0.1%'`)
        .then((r) => (r as { rows?: unknown[] }).rows?.length ?? (r as unknown[]).length),
    ).toBe(0);

    await Promise.all([
      page.waitForURL(/\/sources\/\d+\?saved=1$/),
      page.click('.src-form-actions button:not(.secondary)'),
    ]);
    const id = Number(/\/sources\/(\d+)/.exec(page.url())![1]);
    expect((await sourcesQ.getSource(database.db, id))!.rules).toMatchObject({
      itemSelector: 'ul.news a',
      contentSelector: 'div.c',
    });

    await page.fill('input[name=itemSelector]', 'ul.news a[');
    await page.fill('input[name=weight]', '12');
    await Promise.all([
      page.waitForURL(`${base}/sources/${id}`),
      page.click('.src-form-actions button:not(.secondary)'),
    ]);
    expect(await page.textContent('label.field.invalid:has(input[name=itemSelector]) .field-error')).toContain(
      '不是有效的 CSS 选择器',
    );
    expect(await page.textContent('label.field.invalid:has(input[name=weight]) .field-error')).toContain(
      '必须在 0 到 10 之间',
    );
    await b.shot(page, 'console-sources-edit-error-1280');

    // the same source as a dynamic one: rendered in a Chromium of its own (closed after), nothing stored
    await page.selectOption('select[name=kind]', 'dynamic');
    await page.fill('input[name=url]', site.url('/scripted/'));
    await page.fill('input[name=itemSelector]', 'ul.news a');
    await page.fill('input[name=weight]', '1');
    await page.fill('input[name=waitForSelector]', 'ul.news a');
    await Promise.all([
      page.waitForURL(`${base}/sources/${id}/test`),
      page.click(`button[formaction="/sources/${id}/test"]`),
    ]);
    await expect.poll(() => page.locator('#test-result').textContent()).toContain('找到 2 条');
    expect((await sourcesQ.getSource(database.db, id))!.kind).toBe('web');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('list, edit error, test result and import plan at 375 px (and the list and import at 1280)', async () => {
    const yaml = `version: 1\nsources:\n  - name: 新华财经 · 要闻\n    kind: rss\n    url: https://www.cnfin.com/rss/news.xml\n    weight: 2\n  - name: 华尔街见闻\n    kind: rss\n    url: https://wallstreetcn.com/rss.xml\n`;
    for (const width of [1280, 375]) {
      const { page, problems, context } = await b.open(width);
      await page.goto(`${base}/sources`);
      expect(await page.textContent('main')).toContain('连续失败 4 次');
      expect(await page.textContent('main')).toContain('<script>alert("源")</script>');
      await b.shot(page, `console-sources-list-${width}`);
      expect(await b.overflow(page), `list ${width}`).toBeLessThanOrEqual(0);

      await page.goto(`${base}/sources/import`);
      await page.fill('textarea[name=text]', yaml);
      await Promise.all([page.waitForURL(`${base}/sources/import`), page.click('form.src-import button[type=submit]')]);
      expect(await page.textContent('.src-plan')).toContain('新增 1 个，更新 1 个');
      await b.shot(page, `console-sources-import-${width}`);
      expect(await b.overflow(page), `import ${width}`).toBeLessThanOrEqual(0);

      // a file that cannot be imported: every problem in Chinese, a parser's own words inside the sentence
      await page.fill(
        'textarea[name=text]',
        `${yaml}  - name: 坏的\n    kind: web\n    url: ftp://bad.example/\n  - key: [x\n`,
      );
      await Promise.all([page.waitForURL(`${base}/sources/import`), page.click('form.src-import button[type=submit]')]);
      expect(await page.textContent('.src-issues')).toContain('不是有效的 YAML：');
      await page.fill('textarea[name=text]', `${yaml}  - name: 坏的\n    kind: web\n    url: ftp://bad.example/\n`);
      await Promise.all([page.waitForURL(`${base}/sources/import`), page.click('form.src-import button[type=submit]')]);
      const issues = await page.textContent('.src-issues');
      expect(issues).toContain('第 3 条 · url: 必须是完整的 http(s) 网址');
      expect(issues).toContain('第 3 条 · rules: web 信息源必须填写抓取规则（至少 itemSelector）');
      await b.shot(page, `console-sources-import-error-${width}`);
      expect(await b.overflow(page), `import error ${width}`).toBeLessThanOrEqual(0);

      if (width === 375) {
        await page.goto(`${base}/sources/new?kind=web`);
        await page.fill('input[name=name]', '证监会 要闻');
        await page.fill('input[name=url]', site.url('/news/'));
        await page.fill('input[name=itemSelector]', 'ul.news a');
        await page.check('input[name=allowPrivate]');
        await Promise.all([page.waitForURL(`${base}/sources/test`), page.click('button[formaction="/sources/test"]')]);
        await expect.poll(() => page.locator('#test-result').textContent()).toContain('找到 2 条');
        await b.shot(page, 'console-sources-test-375');
        expect(await b.overflow(page), 'test 375').toBeLessThanOrEqual(0);
        await page.fill('input[name=url]', 'ftp://example.com/');
        await Promise.all([
          page.waitForURL(`${base}/sources/new`),
          page.click('.src-form-actions button:not(.secondary)'),
        ]);
        expect(await page.textContent('label.field.invalid .field-error')).toContain('必须是完整的 http(s) 网址');
        await b.shot(page, 'console-sources-edit-error-375');
        expect(await b.overflow(page), 'edit 375').toBeLessThanOrEqual(0);
      }
      expect(problems, `width ${width}`).toEqual([]);
      await context.close();
    }
  });
});
