import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { corpusDir } from '../../test/helpers/corpora.ts';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceSpec } from '../domain.ts';
import { silentLogger } from '../log.ts';
import { decodeBody } from './charset.ts';
import type { CollectDeps } from './context.ts';
import { ParseError } from './errors.ts';
import { collapseWhitespace } from './html-text.ts';
import { collectFeed, parseFeedItems, readFeed } from './rss.ts';
import { send, startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const now = new Date('2025-11-10T02:00:00Z');
const deps: CollectDeps = { log: silentLogger(), timeZone: 'Asia/Shanghai', now: () => now, fetch: undefined };
const source = (url: string, extra: Partial<SourceSpec> = {}): SourceSpec => ({
  id: 1,
  name: 'test',
  kind: 'rss',
  url,
  rules: null,
  weight: 1,
  timezone: null,
  allowPrivate: true,
  headers: {},
  etag: null,
  lastModified: null,
  ...extra,
});

const RELATIVE = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>财经快讯</title><link>/</link>
<item>
  <title>  央行宣布降准 &amp; 释放
    流动性  </title>
  <link>/news/2025/rrr.html?id=1</link>
  <guid isPermaLink="false">rrr-1</guid>
  <pubDate>2025年11月10日 08:30</pubDate>
  <author>记者 蒋一帆</author>
  <description><![CDATA[<p>中国人民银行今日宣布下调存款准备金率。</p><p>释放长期流动性约<b>5000亿元</b>。</p><script>alert(1)</script>]]></description>
</item>
<item>
  <title>没有日期的条目</title>
  <link>detail?id=2</link>
  <description>纯文本摘要</description>
</item>
<item><title>没有链接的条目</title><description>会被跳过</description></item>
</channel></rss>`;

const GBK_FEED = `<?xml version="1.0" encoding="GBK"?>
<rss version="2.0"><channel><title>金融街资讯</title><link>http://gbk.example/</link>
<item><title>中国人民银行决定下调金融机构存款准备金率</title><link>http://gbk.example/a/1.html</link>
<pubDate>Mon, 10 Nov 2025 08:30:00 +0800</pubDate><description>存款准备金率下调0.25个百分点。</description></item>
</channel></rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
  <title>Atom</title>
  <entry><title type="html">A &lt;em&gt;title&lt;/em&gt;</title><link href="posts/1"/><id>tag:atom.example,2025:1</id>
    <published>2025-11-10T08:30:00+08:00</published><content type="html">&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;</content>
    <author><name>Li Wei</name></author></entry>
</feed>`;

const JSON_FEED = JSON.stringify({
  version: 'https://jsonfeed.org/version/1.1',
  title: 'J',
  home_page_url: 'https://json.example/',
  items: [
    {
      id: '1',
      url: '/p/1',
      title: '港股收评',
      content_html: '<p>恒指涨1.2%</p>',
      date_published: '2025-11-10T08:30:00+08:00',
      authors: [{ name: '王' }],
    },
    { id: '2', title: '无链接' },
  ],
});

const XXE = `<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title><link>http://x.example/1</link></item></channel></rss>`;

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<rss version="2.0"><channel><title>&lol2;</title></channel></rss>`;

const PUBLIC_DOCTYPE = `<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>old</title><item><title>ok</title><link>http://old.example/1</link></item></channel></rss>`;

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({
    '/feeds/relative.xml': send(RELATIVE, { 'content-type': 'application/rss+xml; charset=utf-8' }),
    '/feeds/gbk.xml': send(iconv.encode(GBK_FEED, 'gbk'), { 'content-type': 'application/xml; charset=GBK' }),
    '/feeds/gbk-decl-only.xml': send(iconv.encode(GBK_FEED, 'gbk'), { 'content-type': 'application/xml' }),
    '/feeds/etag.xml': (req, res) => {
      if (req.headers['if-none-match'] === '"e1"') res.writeHead(304, { etag: '"e1"' }).end();
      else
        res.writeHead(200, { etag: '"e1"', 'content-type': 'application/xml' }).end(GBK_FEED.replace('GBK', 'UTF-8'));
    },
    '/feeds/xxe.xml': send(XXE, { 'content-type': 'application/xml' }),
    '/feeds/html.xml': send('<!doctype html><html><body><p>不是 RSS</p></body></html>'),
  });
});
afterAll(() => srv.close());

describe('collectFeed', () => {
  it('resolves relative links, strips HTML and reads Chinese dates in the source zone', async () => {
    const r = await collectFeed(source(srv.url('/feeds/relative.xml')), deps);
    expect(r).toMatchObject({ notModified: false, httpStatus: 200 });
    expect(r.items.map((i) => i.url)).toEqual([srv.url('/news/2025/rrr.html?id=1'), srv.url('/detail?id=2')]);
    const [first, second] = r.items;
    expect(first).toMatchObject({
      title: '央行宣布降准 & 释放 流动性',
      summary: '中国人民银行今日宣布下调存款准备金率。\n\n释放长期流动性约5000亿元。',
      author: '记者 蒋一帆',
      guid: 'rrr-1',
    });
    expect(first?.publishedAt?.toISOString()).toBe('2025-11-10T00:30:00.000Z');
    expect(second).toMatchObject({ summary: '纯文本摘要', publishedAt: null });
  });

  it.each([
    { name: 'GBK declared in the header', path: '/feeds/gbk.xml' },
    { name: 'GBK declared only in the XML declaration', path: '/feeds/gbk-decl-only.xml' },
  ])('decodes a feed with $name', async ({ path: p }) => {
    const r = await collectFeed(source(srv.url(p)), deps);
    expect(r.items[0]?.title).toBe('中国人民银行决定下调金融机构存款准备金率');
    expect(r.items[0]?.publishedAt?.toISOString()).toBe('2025-11-10T00:30:00.000Z');
  });

  it('passes the stored validators and reports 304 as not modified', async () => {
    const fresh = await collectFeed(source(srv.url('/feeds/etag.xml')), deps);
    expect(fresh.etag).toBe('"e1"');
    const again = await collectFeed(source(srv.url('/feeds/etag.xml'), { etag: fresh.etag }), deps);
    expect(again).toMatchObject({ notModified: true, httpStatus: 304, items: [], etag: '"e1"' });
  });

  it.each([
    { name: 'an XXE feed', path: '/feeds/xxe.xml', message: /XXE/ },
    { name: 'an HTML page', path: '/feeds/html.xml', message: /not a valid feed/ },
  ])('fails with a ParseError naming the URL for $name', async ({ path: p, message }) => {
    const err = await collectFeed(source(srv.url(p)), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect(err).toMatchObject({ url: srv.url(p) });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(srv.url(p));
  });
});

describe('parseFeedItems', () => {
  const opts = { timeZone: 'Asia/Shanghai', now };

  it.each([
    { name: 'external entity (XXE)', xml: XXE },
    { name: 'billion laughs', xml: BILLION_LAUGHS },
    { name: 'empty document', xml: '' },
    { name: 'plain text', xml: 'service unavailable' },
    {
      name: 'truncated XML',
      xml: '<rss version="2.0"><channel><item><title>一</title><link>http://a.example/1</link></item><item><title>二</title><li',
    },
    {
      name: 'XML cut off inside a text node',
      xml: '<rss version="2.0"><channel><item><title>一</title><link>http://a.example/1</link></item><item><title>二',
    },
    {
      name: 'XML with an unclosed root',
      xml: '<rss version="2.0"><channel><item><title>一</title><link>http://a.example/1</link></item></channel>',
    },
    {
      name: 'a feed whose only links are javascript:',
      xml: '<rss version="2.0"><channel><item><title>一</title><link>javascript:alert(1)</link></item></channel></rss>',
    },
    { name: 'JSON that is not a JSON Feed', xml: '{"hello": 1}' },
  ])('rejects $name with a ParseError', ({ xml }) => {
    expect(() => parseFeedItems(xml, 'http://feed.example/rss', opts)).toThrow(ParseError);
  });

  it('drops javascript: and data: items next to good ones', () => {
    const xml =
      '<rss version="2.0"><channel><item><title>坏</title><link>javascript:alert(1)</link></item><item><title>坏2</title><link>data:text/html,x</link></item>' +
      '<item><title>好</title><link>http://a.example/1</link></item></channel></rss>';
    expect(parseFeedItems(xml, 'http://feed.example/rss', opts).map((i) => i.url)).toEqual(['http://a.example/1']);
  });

  it('accepts a DOCTYPE without an internal subset (RSS 0.91)', () => {
    expect(parseFeedItems(PUBLIC_DOCTYPE, 'http://old.example/rss', opts).map((i) => i.title)).toEqual(['ok']);
  });

  it('reads Atom with xml:base, HTML titles and content as paragraphs', () => {
    const [item] = parseFeedItems(ATOM, 'https://atom.example/feed.xml', opts);
    expect(item).toMatchObject({
      url: 'https://atom.example/blog/posts/1',
      title: 'A <em>title</em>',
      content: 'One\n\nTwo',
      author: 'Li Wei',
      guid: 'tag:atom.example,2025:1',
    });
    expect(item?.publishedAt?.toISOString()).toBe('2025-11-10T00:30:00.000Z');
  });

  it('reads a JSON Feed and skips items without a link', () => {
    const items = parseFeedItems(JSON_FEED, 'https://json.example/feed.json', opts);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      url: 'https://json.example/p/1',
      title: '港股收评',
      content: '恒指涨1.2%',
      author: '王',
      guid: '1',
    });
  });
});

describe('readFeed: at most maxItems items, the newest', () => {
  const opts = { timeZone: 'UTC', now };
  const at = (day: number) => new Date(Date.UTC(2025, 10, day)).toUTCString();
  const rss = (items: [number, number | null][]) =>
    `<rss version="2.0"><channel>${items
      .map(
        ([i, day]) =>
          `<item><title>t${i}</title><link>http://a.example/${i}</link>${day === null ? '' : `<pubDate>${at(day)}</pubDate>`}</item>`,
      )
      .join('')}</channel></rss>`;
  const json = (items: [number, number | null][]) =>
    JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      items: items.map(([i, day]) => ({
        id: i,
        url: `http://a.example/${i}`,
        title: `t${i}`,
        ...(day === null ? {} : { date_published: new Date(Date.UTC(2025, 10, day)).toISOString() }),
      })),
    });
  const items: [number, number | null][] = [
    [1, 1],
    [2, null],
    [3, 5],
    [4, 3],
    [5, 5],
    [6, 2],
  ];

  it.each([
    {
      name: 'RSS, above the cap: the newest, in document order, equals in document order',
      doc: rss(items),
      max: 3,
      titles: ['t3', 't4', 't5'],
    },
    { name: 'RSS, undated items come last', doc: rss(items), max: 5, titles: ['t1', 't3', 't4', 't5', 't6'] },
    { name: 'RSS, at the cap: all, untouched', doc: rss(items), max: 6, titles: ['t1', 't2', 't3', 't4', 't5', 't6'] },
    { name: 'JSON Feed, above the cap', doc: json(items), max: 3, titles: ['t3', 't4', 't5'] },
  ])('$name', ({ doc, max, titles }) => {
    const read = readFeed(doc, 'http://feed.example/rss', { ...opts, maxItems: max });
    expect(read.items.map((i) => i.title)).toEqual(titles);
    expect(read.listed).toBe(6);
    expect(read.warnings).toEqual(max < 6 ? [`kept the newest ${max} of 6 items (maxItems ${max})`] : []);
  });
});

// Real feeds captured from the web, with the expected parse (see corpora/README.md in ../shared beside the repository).
const CORPUS = corpusDir('feeds');
const hasCorpus = existsSync(CORPUS);
if (!hasCorpus) console.warn(`skipping the real-feed corpus test: ${CORPUS} does not exist`);

interface ExpectedItem {
  id: string | null;
  title: string | null;
  url: string | null;
  published: string | null;
  updated: string | null;
}

describe.skipIf(!hasCorpus)('real feeds from the corpus', () => {
  const cases = hasCorpus
    ? ['real-world', 'examples'].flatMap((kind) =>
        readdirSync(path.join(CORPUS, 'expected', kind)).map((file) => {
          const exp = JSON.parse(readFileSync(path.join(CORPUS, 'expected', kind, file), 'utf8')) as {
            title: string;
            url: string;
            feed: { items: ExpectedItem[] };
          };
          return {
            name: `${kind}/${exp.title}`,
            exp,
            xml: readFileSync(path.join(CORPUS, 'content', kind, file.replace(/\.json$/, ''), 'feed.xml')),
          };
        }),
      )
    : [];
  const totals = { titles: 0, titleOk: 0, dates: 0, dateOk: 0 };

  it.each(cases)('$name', ({ exp, xml }) => {
    const items = parseFeedItems(decodeBody(xml, 'application/xml'), exp.url, {
      timeZone: 'UTC',
      now: new Date('2024-06-01T00:00:00Z'),
    });
    // We keep items that have a link, or a guid that is a URL (RSS guids are permalinks by default).
    const kept = exp.feed.items.filter((i) => i.url || /^https?:\/\//.test(i.id ?? ''));
    expect(items).toHaveLength(kept.length);
    kept.forEach((e, i) => {
      const got = items[i];
      expect(got?.url).toBe(e.url ?? new URL(e.id ?? '').href);
      if (e.title) {
        totals.titles++;
        if (got?.title === collapseWhitespace(e.title)) totals.titleOk++;
      }
      const date = e.published ?? e.updated;
      if (date) {
        totals.dates++;
        if (got?.publishedAt?.toISOString().slice(0, 19) === new Date(date).toISOString().slice(0, 19)) totals.dateOk++;
      }
    });
  });

  it('matches ≥ 99 % of titles and dates', () => {
    expect(totals.titles).toBeGreaterThan(900);
    expect(totals.titleOk / totals.titles).toBeGreaterThanOrEqual(0.99);
    expect(totals.dateOk / totals.dates).toBeGreaterThanOrEqual(0.99);
  });
});
