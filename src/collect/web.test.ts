import iconv from 'iconv-lite';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceSpec, WebRules } from '../domain.ts';
import { silentLogger } from '../log.ts';
import type { CollectDeps } from './context.ts';
import { CollectError, FetchError } from './errors.ts';
import { collectSource } from './index.ts';
import { fetchUrl } from './http.ts';
import { dateFromText } from './web.ts';
import { send, startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const now = new Date('2025-11-10T02:00:00Z');
// The real HTTP layer, without backoff sleeps (the 500 page would otherwise cost seconds of retries).
const base: CollectDeps = {
  log: silentLogger(),
  timeZone: 'UTC',
  now: () => now,
  fetch: (url, opts) => fetchUrl(url, opts, { sleep: async () => undefined }),
};
const gbkHtml = (html: string) => send(iconv.encode(html, 'gbk'), { 'content-type': 'text/html' });

const list = (
  items: string,
  next = '',
) => `<!DOCTYPE html><html><head><meta charset="gbk"><title>产业动态_产经要闻网</title></head><body>
<div class="nav"><a href="/">首页</a><a href="javascript:void(0)">登录</a></div>
<div class="list-box"><ul>${items}</ul></div>
<div class="page-bar">${next}</div>
<div class="side"><ul><li><a href="/hot/1.html">热门：不该被收集的侧栏链接</a></li></ul></div>
</body></html>`;

const article = (title: string, paras: string[], time = '2025-11-10 08:30') => `<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>${title}_产经要闻网</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="article"><h1 class="main-title">${title}</h1>
<div class="info-bar"><span class="pub-time">发布时间：${time}</span> <span class="writer">作者：辛悦</span></div>
<div class="share">分享到：微信 微博</div>
<div id="artibody">${paras.map((p) => `<p>\u3000\u3000${p}</p>`).join('')}<p>（责任编辑：王敏）</p></div>
<div class="related"><h4>相关阅读</h4><ul><li><a href="/x.html">另一篇新闻标题</a></li></ul></div></div>
<div class="footer">产经要闻网 版权所有</div></body></html>`;

const P1 = [
  '乘联分会最新数据显示，本月以来全国乘用车市场零售146.3万辆，同比下降3%。',
  '其中新能源乘用车零售85.7万辆，零售渗透率达到58.6%。',
];
const P2 = [
  '多晶硅N型复投料成交均价为每吨5.32万元，与上周持平，已连续三周维持稳定。',
  '行业库存仍高达约28万吨，相当于下游两个半月以上的需求。',
];
const P3 = ['生猪价格跌至每公斤11.08元，创年内新低，猪粮比进入过度下跌一级预警区间。'];

const RULES: WebRules = {
  itemSelector: 'div.list-box ul li h3 a',
  titleSelector: 'h1.main-title',
  dateSelector: '.info-bar .pub-time',
  authorSelector: '.info-bar .writer',
  contentSelector: '#artibody',
  nextPageSelector: 'a.next',
  maxPages: 2,
};

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({
    '/industry/index.html': gbkHtml(
      list(
        '<li><h3><a href="a/1.html">乘用车零售渗透率58.6%</a></h3></li>' +
          '<li><h3><a href="a/1.html#comments">重复链接</a></h3></li>' +
          '<li><h3><a href="/industry/a/2.html">多晶硅报价持稳</a></h3></li>' +
          '<li><h3><a href="mailto:editor@example.com">联系我们</a></h3></li>',
        '<a class="next" href="index_2.html">下一页</a>',
      ),
    ),
    '/industry/index_2.html': gbkHtml(
      list(
        '<li><h3><a href="a/3.html">猪价创年内新低</a></h3></li><li><h3><a href="a/broken.html">坏页面</a></h3></li>',
        '<a class="next" href="index.html">回到第一页</a>',
      ),
    ),
    '/industry/a/1.html': gbkHtml(article('新能源车零售渗透率达58.6%', P1)),
    '/industry/a/2.html': gbkHtml(article('多晶硅报价连续三周持稳', P2, '2025年11月9日 17:05')),
    '/industry/a/3.html': gbkHtml(article('猪价跌至每公斤11.08元创年内新低', P3, '3小时前')),
    '/industry/a/broken.html': send('oops', {}, 500),
    '/etag/index.html': (req, res) => {
      if (req.headers['if-none-match'] === '"l1"') res.writeHead(304, { etag: '"l1"' }).end();
      else res.writeHead(200, { etag: '"l1"', 'content-type': 'text/html; charset=utf-8' }).end(list(''));
    },
    '/all-broken/index.html': send(
      list('<li><h3><a href="/nope/1.html">一</a></h3></li><li><h3><a href="/nope/2.html">二</a></h3></li>'),
    ),
  });
});
afterAll(() => srv.close());

function webSource(url: string, rules: WebRules, extra: Partial<SourceSpec> = {}): SourceSpec {
  return {
    id: 7,
    name: '产经要闻网',
    kind: 'web',
    url,
    rules,
    weight: 1,
    timezone: 'Asia/Shanghai',
    allowPrivate: true,
    headers: {},
    etag: null,
    lastModified: null,
    ...extra,
  };
}

function capturingDeps(): { deps: CollectDeps; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { deps: { ...base, log }, lines };
}

describe('collectWebSite', () => {
  it('follows the list pages, reads the articles with the selectors and skips a failing page', async () => {
    const { deps, lines } = capturingDeps();
    const r = await collectSource(webSource(srv.url('/industry/index.html'), RULES), deps);
    expect(r.items.map((i) => i.url)).toEqual([
      srv.url('/industry/a/1.html'),
      srv.url('/industry/a/2.html'),
      srv.url('/industry/a/3.html'),
    ]);
    const [a, b, c] = r.items;
    expect(a).toMatchObject({ title: '新能源车零售渗透率达58.6%', author: '辛悦', content: P1.join('\n\n') });
    // Dates are read in the source's zone (Asia/Shanghai), not the deps' default (UTC).
    expect(a?.publishedAt?.toISOString()).toBe('2025-11-10T00:30:00.000Z');
    expect(b?.publishedAt?.toISOString()).toBe('2025-11-09T09:05:00.000Z');
    expect(c?.publishedAt?.toISOString()).toBe('2025-11-09T23:00:00.000Z');
    expect(r.httpStatus).toBe(200);
    expect(r.bytes).toBeGreaterThan(0);
    const warn = lines.find((l) => l.msg === 'article page failed');
    expect(warn).toMatchObject({ source_id: 7, url: srv.url('/industry/a/broken.html') });
  });

  it('caps the number of articles at maxItems', async () => {
    const r = await collectSource(webSource(srv.url('/industry/index.html'), { ...RULES, maxItems: 2 }), base);
    expect(r.items).toHaveLength(2);
  });

  it('reads only the first list page without nextPageSelector', async () => {
    const { nextPageSelector: _n, ...rules } = RULES;
    const r = await collectSource(webSource(srv.url('/industry/index.html'), rules), base);
    expect(r.items).toHaveLength(2);
  });

  it('extracts the main text when the rules have no content selector', async () => {
    const { contentSelector: _c, titleSelector: _t, dateSelector: _d, authorSelector: _a, ...rules } = RULES;
    const r = await collectSource(webSource(srv.url('/industry/index.html'), { ...rules, maxItems: 1 }), base);
    expect(r.items[0]).toMatchObject({ title: '新能源车零售渗透率达58.6%', content: P1.join('\n\n') });
    expect(r.items[0]?.publishedAt?.toISOString()).toBe('2025-11-10T00:30:00.000Z');
  });

  it('falls back to extraction when the content selector matches nothing', async () => {
    const r = await collectSource(
      webSource(srv.url('/industry/index.html'), { ...RULES, contentSelector: '.gone', maxItems: 1 }),
      base,
    );
    expect(r.items[0]?.content).toBe(P1.join('\n\n'));
  });

  it('uses listUrls instead of the source URL when given', async () => {
    const r = await collectSource(
      webSource(srv.url('/does-not-exist'), { ...RULES, listUrls: [srv.url('/industry/index_2.html')], maxPages: 1 }),
      base,
    );
    expect(r.items.map((i) => i.title)).toEqual(['猪价跌至每公斤11.08元创年内新低']);
  });

  it('fails the source when the list page fails', async () => {
    const fetch: CollectDeps['fetch'] = () =>
      Promise.reject(new FetchError('HTTP 503', { url: 'x', code: 'http_status', status: 503 }));
    await expect(
      collectSource(webSource(srv.url('/industry/index.html'), RULES), { ...base, fetch }),
    ).rejects.toMatchObject({ name: 'FetchError', status: 503 });
    await expect(collectSource(webSource(srv.url('/missing.html'), RULES), base)).rejects.toMatchObject({
      code: 'http_status',
      status: 404,
    });
  });

  it('fails the source when every article page fails', async () => {
    const err = await collectSource(
      webSource(srv.url('/all-broken/index.html'), { itemSelector: 'li h3 a' }),
      base,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    expect((err as Error).message).toContain('all 2 article pages');
  });

  it('sends the stored ETag for the list page and stops on 304', async () => {
    const first = await collectSource(webSource(srv.url('/etag/index.html'), RULES), base);
    expect(first.etag).toBe('"l1"');
    const again = await collectSource(webSource(srv.url('/etag/index.html'), RULES, { etag: '"l1"' }), base);
    expect(again).toMatchObject({ notModified: true, items: [], etag: '"l1"', httpStatus: 304 });
  });

  it('refuses a source without an item selector', async () => {
    await expect(
      collectSource(webSource(srv.url('/industry/index.html'), null as unknown as WebRules), base),
    ).rejects.toBeInstanceOf(CollectError);
  });
});

describe('collectSource', () => {
  it('refuses dynamic sources with a clear message', async () => {
    await expect(collectSource(webSource('http://x.example/', RULES, { kind: 'dynamic' }), base)).rejects.toThrow(
      /browser collector/,
    );
  });
});

describe('dateFromText', () => {
  it.each([
    { name: 'labelled timestamp', text: '发布时间：2025-11-10 08:30', expected: '2025-11-10T00:30:00.000Z' },
    {
      name: 'date inside a meta line',
      text: '2025年11月10日 08:30 来源：新华社',
      expected: '2025-11-10T00:30:00.000Z',
    },
    { name: 'labelled relative time', text: '更新于：3小时前', expected: '2025-11-09T23:00:00.000Z' },
    { name: 'no date', text: '来源：新华社', expected: null },
  ])('$name', ({ text, expected }) => {
    expect(dateFromText(text, 'Asia/Shanghai', now)?.toISOString() ?? null).toBe(expected);
  });
});
