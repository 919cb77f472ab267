/**
 * Sources that used to pass as healthy or hold an edition: a slow site (bounded by the source's time budget),
 * a feed of thousands of items (capped, the newest kept), a feed that is not well-formed XML, a binary body
 * served as HTML, a source that stopped giving items. Real HTTP servers, the real `runCollect`, a real
 * database; every outcome read back from the source's health and fetch history.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollect } from '../src/collect/run.ts';
import type { CollectSummary } from '../src/collect/run.ts';
import { send, startTestServer } from '../src/collect/test-server.ts';
import type { Handler, TestServer } from '../src/collect/test-server.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import type { SourceSeed } from '../src/db/queries/sources.ts';
import { articles, sourceFetches, sources } from '../src/db/schema/index.ts';
import type { WebRules } from '../src/domain.ts';
import { silentLogger } from '../src/log.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const RSS = 'application/rss+xml; charset=utf-8';
const log = silentLogger();

const rss = (items: string) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>测试</title><link>http://feed.example/</link>
${items}
</channel></rss>`;
const item = (i: number, date?: Date, site = 'feed.example') =>
  `<item><title>快讯 ${i}</title><link>http://${site}/a/${i}.html</link><description>第${i}条。</description>${date ? `<pubDate>${date.toUTCString()}</pubDate>` : ''}</item>`;

/** 5,000 dated items, oldest first: keeping the first N would keep the oldest. */
const big = (site: string) =>
  rss(Array.from({ length: 5000 }, (_, i) => item(i, new Date(Date.UTC(2025, 10, 1) + i * 60_000), site)).join('\n'));

/** A mismatched `</chanel>`, bare `&`s and a broken tag: the lenient parser reads no item and says nothing. */
const MALFORMED = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>利率 <& 债券</title><link>http://x.example/</link>
<item><title>A & B</title><link>http://x.example/a</link></item>
<item><title>C</title><link>http://x.example/c</link></item>
</chanel></rss>`;
/** The same kind of break further down: two of three items survive, one of them with its link. */
const PARTIAL = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>利率</title><link>http://x.example/</link>
<item><title>A & B</title><link>http://x.example/a</link></item>
<item><title>C <& D</title><link>http://x.example/c</link></item>
<item><title>E</title><link>http://x.example/e</link></item>
</chanel></rss>`;

const page = (body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表</title></head><body>${body}</body></html>`;
const listOf = (prefix: string, n: number) =>
  page(Array.from({ length: n }, (_, i) => `<a class="t" href="${prefix}/${i + 1}.html">第${i + 1}篇</a>`).join(''));
const article = (i: number) =>
  page(
    `<h1>第${i}篇：央行开展逆回购操作</h1><div id="c"><p>央行今日开展7天期逆回购操作${i}亿元，中标利率1.40%，与此前持平。</p></div>`,
  );
const never: Handler = () => undefined; // accepts the request and never answers

describe(`sources that used to look healthy or hold the edition (${TEST_DB})`, () => {
  let t: TestDatabase;
  let srv: TestServer;
  let slow: CollectSummary;
  let shrinkingServed = 0;

  const row = async (key: string) => (await t.db.select().from(sources).where(eq(sources.key, key)))[0]!;
  const fetchesOf = async (key: string) =>
    t.db
      .select()
      .from(sourceFetches)
      .where(eq(sourceFetches.sourceId, (await row(key)).id));
  const articlesOf = async (key: string) =>
    t.db
      .select()
      .from(articles)
      .where(eq(articles.sourceId, (await row(key)).id));
  // The slow sources run on their own (a busy event loop, parsing big feeds, must not spend their budget).
  const collect = (keys: string[], sourceBudgetSec = 60) =>
    runCollect(
      {
        db: t.db,
        log,
        now: () => new Date(),
        timeZone: 'Asia/Shanghai',
        userAgent: 'finrep-test',
        timeoutMs: 20_000, // far above the slow sources' budgets: only a budget can stop them early
        concurrency: { rss: 8, web: 4 },
        perHostConcurrency: 8,
        sourceBudgetSec,
        maxFeedItems: 100,
      },
      { runId: null, keys },
    );

  beforeAll(async () => {
    srv = await startTestServer({
      '/slow/list.html': send(listOf('/slow/a', 20)),
      '/slow/a/1.html': send(article(1)),
      '/slow/a/2.html': send(article(2)),
      ...Object.fromEntries(Array.from({ length: 18 }, (_, i) => [`/slow/a/${i + 3}.html`, never])),
      '/stuck/list.html': send(listOf('/stuck/a', 3)),
      '/stuck/a/1.html': never,
      '/stuck/a/2.html': never,
      '/stuck/a/3.html': never,
      '/stuck-feed.xml': never,
      '/big.xml': send(big('big.example'), { 'content-type': RSS }),
      '/big-2.xml': send(big('big-2.example'), { 'content-type': RSS }),
      '/malformed.xml': send(MALFORMED, { 'content-type': RSS }),
      '/partial.xml': send(PARTIAL, { 'content-type': RSS }),
      '/empty.xml': send(rss(''), { 'content-type': RSS }),
      '/binary.html': send(randomBytes(64 * 1024), { 'content-type': 'text/html; charset=utf-8' }),
      '/no-links.html': send(page('<p>网站改版，敬请期待</p>')),
      '/shrinking.xml': (_req, res) => {
        shrinkingServed++;
        res.writeHead(200, { 'content-type': RSS }).end(rss(shrinkingServed === 1 ? item(1) + item(2) : ''));
      },
    });
    t = await createTestDatabase();
    const seed = (
      key: string,
      path: string,
      kind: 'rss' | 'web' = 'rss',
      rules: WebRules | null = null,
    ): SourceSeed => ({
      key,
      name: key,
      kind,
      url: srv.url(path),
      weight: 1,
      timezone: 'Asia/Shanghai',
      allowPrivate: true,
      rules,
    });
    const web: WebRules = { itemSelector: 'a.t', contentSelector: '#c' };
    await sourcesQ.upsertSources(t.db, [
      seed('slow-site', '/slow/list.html', 'web', { ...web, budgetSec: 5 }),
      seed('stuck-site', '/stuck/list.html', 'web', web),
      seed('stuck-feed', '/stuck-feed.xml'),
      seed('big', '/big.xml'),
      // A feed's rules hold only its limits.
      seed('big-own-cap', '/big-2.xml', 'rss', { maxItems: 10 } as WebRules),
      seed('malformed', '/malformed.xml'),
      seed('partial', '/partial.xml'),
      seed('empty', '/empty.xml'),
      seed('binary', '/binary.html', 'web', web),
      seed('no-links', '/no-links.html', 'web', web),
      seed('shrinking', '/shrinking.xml'),
    ]);
    slow = await collect(['slow-site', 'stuck-site', 'stuck-feed'], 3);
    await collect(['big', 'big-own-cap', 'malformed', 'partial', 'empty', 'binary', 'no-links', 'shrinking']);
  });
  afterAll(async () => {
    await srv?.close();
    await t?.drop();
  });

  it('a slow site stops at its own budget and keeps the pages it read', async () => {
    const r = await row('slow-site');
    expect(r.consecutiveFailures).toBe(0);
    expect(r.lastError).toBe("the source's time budget of 5 s is spent: kept 2 of 20 article pages, 18 not read");
    expect((await articlesOf('slow-site')).map((a) => a.title).sort()).toEqual([
      '第1篇：央行开展逆回购操作',
      '第2篇：央行开展逆回购操作',
    ]);
    const [f] = await fetchesOf('slow-site');
    expect(f).toMatchObject({ status: 'ok', items: 2, error: r.lastError });
    expect(slow.per_source.find((p) => p.name === 'slow-site')).toMatchObject({ status: 'ok', warning: r.lastError });
  });

  it.each([
    {
      key: 'stuck-site',
      error:
        /^the source's time budget of 3 s is spent: stopped before any of the 3 article pages of "stuck-site" was read$/,
    },
    {
      key: 'stuck-feed',
      error: /^stopped fetching http:\/\/127\.0\.0\.1:\d+\/stuck-feed\.xml: the source's time budget of 3 s is spent$/,
    },
  ])(
    '$key: nothing read within the budget (CRAWL_SOURCE_BUDGET_SEC) fails the source, saying why',
    async ({ key, error }) => {
      const r = await row(key);
      expect(r.lastError).toMatch(error);
      expect(r.consecutiveFailures).toBe(1);
      expect((await fetchesOf(key))[0]!.status).toBe('failed');
    },
  );

  it('a feed of 5,000 items keeps the newest 100 (CRAWL_FEED_MAX_ITEMS) and says so', async () => {
    const stored = await articlesOf('big');
    expect(stored).toHaveLength(100);
    expect(stored.map((a) => a.title).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `快讯 ${4900 + i}`).sort());
    const r = await row('big');
    expect(r.consecutiveFailures).toBe(0);
    expect(r.lastError).toBe('kept the newest 100 of 5000 items (maxItems 100)');
    expect((await fetchesOf('big'))[0]).toMatchObject({ status: 'ok', items: 100, error: r.lastError });
  });

  it("a feed's own rules.maxItems wins over the setting", async () => {
    const f = (await fetchesOf('big-own-cap'))[0]!;
    expect(f).toMatchObject({
      status: 'ok',
      items: 10,
      newItems: 10,
      error: 'kept the newest 10 of 5000 items (maxItems 10)',
    });
  });

  it('a feed that is not well-formed and yields nothing fails with the XML error, line and column', async () => {
    const r = await row('malformed');
    expect(r.lastError).toMatch(
      / is not a valid feed: not well-formed XML: Tag '&' is an invalid name \(line 2, column \d+\); no item could be read$/,
    );
    expect(r.consecutiveFailures).toBe(1);
  });

  it('a feed that lost items to a broken tag warns, keeping what was read', async () => {
    const r = await row('partial');
    expect(r.consecutiveFailures).toBe(0);
    expect(r.lastError).toMatch(/^not well-formed XML: .* \(line 3, column \d+\): read 2 of the feed's 3 items$/);
    expect((await articlesOf('partial')).length).toBeGreaterThan(0);
  });

  it('a well-formed empty feed stays healthy, without a warning', async () => {
    const r = await row('empty');
    expect(r).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect((await fetchesOf('empty'))[0]).toMatchObject({ status: 'ok', items: 0, error: null });
  });

  it('a binary body served as HTML to a web source fails it', async () => {
    const r = await row('binary');
    expect(r.lastError).toMatch(
      /binary\.html is not an HTML page: its body is binary \(Content-Type text\/html; charset=utf-8\)$/,
    );
    expect(r.consecutiveFailures).toBe(1);
  });

  it('a list page whose selector matches nothing warns', async () => {
    const r = await row('no-links');
    expect(r).toMatchObject({
      consecutiveFailures: 0,
      lastError: 'rules.itemSelector "a.t" matched no article link on the list page',
    });
  });

  it('a feed that used to give items and now gives none warns, naming what it had', async () => {
    expect((await fetchesOf('shrinking'))[0]).toMatchObject({ status: 'ok', items: 2, error: null });
    const again = await collect(['shrinking']);
    expect(again.per_source[0]).toMatchObject({
      status: 'ok',
      fetched: 0,
      warning: 'no items, where the last successful fetch had 2',
    });
    const r = await row('shrinking');
    expect(r).toMatchObject({ consecutiveFailures: 0, lastError: 'no items, where the last successful fetch had 2' });
  });
});
