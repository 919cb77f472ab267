import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeed } from '@rowanmanning/feed-parser';
import * as cheerio from 'cheerio';
import iconv from 'iconv-lite';
import { CATEGORIES } from '../domain.ts';
import { startDemoWorld } from './index.ts';
import type { DemoSourceSeed, DemoWorld } from './index.ts';
import { closeReports, placeArticles, writtenArticles } from './articles/index.ts';
import { marketClose } from './articles/market-close.ts';
import { OUTLETS } from './outlets.ts';
import { SOURCE_KEYS } from './articles/types.ts';
import { rfc822, isoLocal, zonedTime } from './time.ts';

const TZ = 'Asia/Shanghai';
const ANCHOR = new Date('2025-11-10T06:00:00+08:00');
let world: DemoWorld;

beforeAll(async () => {
  world = await startDemoWorld({ anchor: ANCHOR, port: 0 });
});
afterAll(async () => {
  await world.close();
});

const source = (key: string): DemoSourceSeed => {
  const s = world.sources.find((x) => x.key === key);
  if (!s) throw new Error(`no source ${key}`);
  return s;
};

async function bytes(url: string, init?: RequestInit): Promise<{ res: Response; buf: Buffer }> {
  const res = await fetch(url, init);
  return { res, buf: Buffer.from(await res.arrayBuffer()) };
}

/** Decodes a feed as a collector would: by the charset its header declares. */
async function feedText(url: string): Promise<string> {
  const { res, buf } = await bytes(url);
  expect(res.status).toBe(200);
  const charset = /charset=([\w-]+)/i.exec(res.headers.get('content-type') ?? '')?.[1] ?? 'utf-8';
  return new TextDecoder(charset.toLowerCase()).decode(buf);
}

const isUtf8 = (buf: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
};

describe('demo world server', () => {
  it('seeds nine sources and three recipients', () => {
    expect(world.baseUrl).toBe(`http://127.0.0.1:${world.port}`);
    expect(world.sources.map((s) => s.key).sort()).toEqual([...SOURCE_KEYS].sort());
    for (const s of world.sources) expect(s.url.startsWith(world.baseUrl)).toBe(true);
    expect(world.recipients).toHaveLength(3);
    for (const r of world.recipients) expect(r.email).toMatch(/@example\.com$/);
  });

  const feeds = ['feed-macro', 'feed-markets', 'feed-gbk', 'feed-relative', 'feed-global', 'feed-companies'];
  it.each(feeds)('%s is a valid feed with items', async (key) => {
    const text = await feedText(source(key).url);
    const feed = parseFeed(text);
    expect(feed.items.length).toBeGreaterThan(0);
    for (const item of feed.items) expect(item.title).toBeTruthy();
    expect(text).toMatch(/[\u4e00-\u9fff]/);
  });

  it('writes RFC 822 dates in RSS and +08:00 timestamps in Atom', async () => {
    const rss = parseFeed(await feedText(source('feed-macro').url));
    for (const item of rss.items) expect(item.published?.getTime()).toBeLessThan(ANCHOR.getTime());
    const atomText = await feedText(source('feed-markets').url);
    expect(atomText).toMatch(/<published>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00<\/published>/);
    expect(parseFeed(atomText).items.every((i) => i.published instanceof Date)).toBe(true);
  });

  it('serves the GBK feed as GBK bytes that decode to Chinese', async () => {
    const { res, buf } = await bytes(source('feed-gbk').url);
    expect(res.headers.get('content-type')).toBe('application/xml; charset=GBK');
    expect(isUtf8(buf)).toBe(false);
    const text = new TextDecoder('gbk').decode(buf);
    expect(text.startsWith('<?xml version="1.0" encoding="GBK"?>')).toBe(true);
    expect(text).toContain('金融街资讯');
    expect(text).toContain('降准');
  });

  it('keeps the relative feed relative, with Chinese dates, and serves its pages', async () => {
    const url = source('feed-relative').url;
    const $ = cheerio.load(await feedText(url), { xml: true });
    const items = $('item').toArray();
    expect(items.length).toBeGreaterThan(5);
    for (const el of items) {
      const link = $(el).find('link').text();
      expect(link).toMatch(/^\/news\/\d{4}\/[a-z0-9-]+\.html$/);
      expect($(el).find('pubDate').text()).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$/);
      const page = await fetch(new URL(link, url));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(
        `<h1 class="post-title">${$(el).find('title').text().replace(/&/g, '&amp;')}</h1>`,
      );
    }
  });

  it('answers If-None-Match and If-Modified-Since with 304', async () => {
    const url = source('feed-macro').url;
    const first = await fetch(url);
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await fetch(url, { headers: { 'If-None-Match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    const stale = await fetch(url, { headers: { 'If-None-Match': '"stale"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    const since = await fetch(url, { headers: { 'If-Modified-Since': first.headers.get('last-modified') ?? '' } });
    expect(since.status).toBe(304);
  });

  it('returns 404 for unknown paths', async () => {
    const res = await fetch(`${world.baseUrl}/nope/missing.html`);
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });

  it('policy site: list links resolve to pages the rules can read', async () => {
    const s = source('site-policy');
    const rules = s.rules!;
    const $ = cheerio.load(await feedText(s.url));
    const links = $(rules.itemSelector).toArray();
    expect(links.length).toBeGreaterThan(10);
    for (const a of links) {
      const res = await fetch(new URL($(a).attr('href') ?? '', s.url));
      expect(res.status).toBe(200);
      const page = cheerio.load(await res.text());
      expect(page(rules.titleSelector!).text()).toBe($(a).text());
      expect(page(rules.dateSelector!).attr('datetime')).toMatch(/\+08:00$/);
      expect(page(rules.contentSelector!).text().length).toBeGreaterThan(100);
      expect(page(rules.authorSelector!).text()).toBeTruthy();
    }
  });

  it('industry site: GBK bytes, two list pages joined by a.next, pages without a content rule', async () => {
    const s = source('site-industry');
    const rules = s.rules!;
    expect(rules.contentSelector).toBeUndefined();
    const first = await bytes(s.url);
    expect(first.res.headers.get('content-type')).toBe('text/html; charset=GBK');
    expect(isUtf8(first.buf)).toBe(false);
    const html = new TextDecoder('gbk').decode(first.buf);
    expect(html).toContain('<meta charset="gbk">');
    expect(html).toContain('产经要闻网');
    const $ = cheerio.load(html);
    const next = $(rules.nextPageSelector!).attr('href');
    expect(next).toBe('index_2.html');
    const second = await bytes(new URL(next!, s.url).href);
    expect(second.res.status).toBe(200);
    const $2 = cheerio.load(new TextDecoder('gbk').decode(second.buf));
    expect($2(rules.nextPageSelector!).length).toBe(0);
    const links = [
      ...$(rules.itemSelector)
        .toArray()
        .map((a) => $(a)),
      ...$2(rules.itemSelector)
        .toArray()
        .map((a) => $2(a)),
    ];
    for (const a of links) {
      const page = await bytes(new URL(a.attr('href') ?? '', s.url).href);
      expect(page.res.status).toBe(200);
      expect(new TextDecoder('gbk').decode(page.buf)).toContain(`<h1 class="main-title">${a.html()}</h1>`);
    }
  });

  it('dynamic site: the list is empty without a browser; its JSON links resolve', async () => {
    const s = source('site-dynamic');
    expect(s.kind).toBe('dynamic');
    expect(s.rules?.waitForSelector).toBeTruthy();
    const html = await feedText(s.url);
    expect(cheerio.load(html)(s.rules!.itemSelector).length).toBe(0);
    expect(html).toContain("fetch('api/list.json'");
    const list = (await (await fetch(new URL('api/list.json', s.url))).json()) as {
      items: { title: string; url: string }[];
    };
    expect(list.items.length).toBeGreaterThan(3);
    for (const it of list.items) {
      const res = await fetch(new URL(it.url, s.url));
      expect(res.status).toBe(200);
      expect(
        cheerio
          .load(await res.text())(s.rules!.titleSelector!)
          .text(),
      ).toBe(it.title);
    }
  });

  it('serves at least 150 articles across all sources', async () => {
    let served = 0;
    for (const key of ['feed-macro', 'feed-markets', 'feed-gbk', 'feed-relative', 'feed-global', 'feed-companies']) {
      served += parseFeed(await feedText(source(key).url)).items.length;
    }
    served += cheerio.load(await feedText(source('site-policy').url))(source('site-policy').rules!.itemSelector).length;
    for (const page of ['index.html', 'index_2.html']) {
      const html = await feedText(new URL(page, source('site-industry').url).href);
      served += cheerio.load(html)(source('site-industry').rules!.itemSelector).length;
    }
    const json = (await (await fetch(new URL('api/list.json', source('site-dynamic').url))).json()) as {
      items: unknown[];
    };
    served += json.items.length;
    expect(served).toBe(placeArticles(ANCHOR, TZ).length);
    expect(served).toBeGreaterThanOrEqual(150);
  });

  it('falls back to an ephemeral port when the requested one is taken', async () => {
    const other = await startDemoWorld({ anchor: ANCHOR, port: world.port });
    try {
      expect(other.port).not.toBe(world.port);
      const res = await fetch(`${other.baseUrl}/feeds/macro.xml`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      await other.close();
    }
  });
});

describe('demo articles', () => {
  const placed = placeArticles(ANCHOR, TZ);

  it('has unique ASCII slugs', () => {
    const slugs = placed.map((a) => a.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const s of slugs) expect(s).toMatch(/^[a-z0-9][a-z0-9-]*$/);
  });

  it('labels every article with a valid category, sentiment and tickers', () => {
    const ticker = /^(\d{6}\.(SH|SZ|BJ)|\d{4,5}\.HK|[A-Z]{1,5}(\.[A-Z])?)$/;
    for (const a of placed) {
      expect(CATEGORIES, a.slug).toContain(a.category);
      expect(['positive', 'neutral', 'negative'], a.slug).toContain(a.sentiment);
      for (const t of a.tickers ?? []) expect(t, a.slug).toMatch(ticker);
      expect(a.body.length, a.slug).toBeGreaterThanOrEqual(2);
    }
  });

  it('places written articles inside the 24 h window and fills every placeholder', () => {
    for (const a of writtenArticles) {
      expect(a.hoursAgo, a.slug).toBeGreaterThanOrEqual(0.3);
      expect(a.hoursAgo, a.slug).toBeLessThanOrEqual(23.5);
    }
    for (const a of placed) {
      expect(`${a.title}${a.body.join('')}${a.editorNote ?? ''}`, a.slug).not.toMatch(/\{[A-Z]+\}/);
    }
    expect(placed.find((a) => a.slug === 'macro-cpi-core-rises')?.title).toContain('10月CPI');
  });

  it('keeps text served in GBK representable in GBK', () => {
    for (const a of placed.filter((x) => OUTLETS[x.outlet].charset === 'gbk')) {
      const text = [a.title, ...a.body, a.editorNote ?? '', a.author ?? '', a.origin ?? ''].join('\n');
      expect(iconv.decode(iconv.encode(text, 'gbk'), 'gbk'), a.slug).toBe(text);
    }
  });

  it('carries the RRR-cut story on at least three sources with different headlines', () => {
    const story = placed.filter((a) => a.story === 'rrr-cut');
    expect(new Set(story.map((a) => a.outlet)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(story.map((a) => a.title)).size).toBe(story.length);
    expect(story.some((a) => a.editorNote)).toBe(true);
  });
});

describe('market close reports', () => {
  const mask = (text: string): string => text.replace(/\d+(\.\d+)?/g, '#');

  it('differs in numbers by date but shares the template', () => {
    const a = marketClose('2025-11-07');
    const b = marketClose('2025-11-10');
    expect(a.title).toMatch(/^A股收评：沪指收[涨跌]\d+\.\d\d%报\d+\.\d\d点，两市成交额\d\.\d\d万亿元$/);
    expect(b.title).toMatch(/^A股收评：沪指收[涨跌]\d+\.\d\d%报\d+\.\d\d点，两市成交额\d\.\d\d万亿元$/);
    expect(a.body.join('')).not.toBe(b.body.join(''));
    expect(a.body.length).toBe(b.body.length);
    for (const phrase of [
      '上证指数',
      '深证成指',
      '创业板指',
      '两市全天成交额',
      '上涨',
      '下跌',
      '平盘',
      '北向资金全天成交',
      '展望后市',
    ]) {
      expect(a.body.join('')).toContain(phrase);
      expect(b.body.join('')).toContain(phrase);
    }
    // The same date always gives the same report.
    expect(marketClose('2025-11-07')).toEqual(a);
    expect(mask(a.body[1] ?? '').replace(/放量|缩量/, '')).toBe(mask(b.body[1] ?? '').replace(/放量|缩量/, ''));
  });

  it("places the last days' reports at 15:05 local, only before the anchor", () => {
    const early = closeReports(new Date('2025-11-10T06:00:00+08:00'), TZ);
    expect(early.map((r) => r.slug)).toEqual(['market-close-2025-11-09', 'market-close-2025-11-08']);
    expect(early[0]?.publishedAt.toISOString()).toBe('2025-11-09T07:05:00.000Z');
    const late = closeReports(new Date('2025-11-10T16:00:00+08:00'), TZ);
    expect(late.map((r) => r.slug)).toEqual([
      'market-close-2025-11-10',
      'market-close-2025-11-09',
      'market-close-2025-11-08',
    ]);
  });
});

describe('time helpers', () => {
  it.each([
    { name: 'Shanghai', tz: 'Asia/Shanghai', rfc: 'Mon, 10 Nov 2025 08:30:00 +0800', iso: '2025-11-10T08:30:00+08:00' },
    { name: 'UTC', tz: 'UTC', rfc: 'Mon, 10 Nov 2025 00:30:00 +0000', iso: '2025-11-10T00:30:00+00:00' },
    {
      name: 'New York (EST)',
      tz: 'America/New_York',
      rfc: 'Sun, 09 Nov 2025 19:30:00 -0500',
      iso: '2025-11-09T19:30:00-05:00',
    },
  ])('$name', ({ tz, rfc, iso }) => {
    const at = new Date('2025-11-10T00:30:00Z');
    expect(rfc822(at, tz)).toBe(rfc);
    expect(isoLocal(at, tz)).toBe(iso);
    expect(zonedTime(iso.slice(0, 10), Number(iso.slice(11, 13)), Number(iso.slice(14, 16)), tz).getTime()).toBe(
      at.getTime(),
    );
  });
});
