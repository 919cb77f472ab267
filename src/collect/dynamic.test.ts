/**
 * Dynamic sources end to end: the real Chromium renders the list, plain HTTP fetches the articles, and the
 * browser renders an article only when its HTTP copy has no text. Skipped where Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld } from '../demo/index.ts';
import type { DemoWorld } from '../demo/index.ts';
import type { SourceSpec, WebRules } from '../domain.ts';
import { silentLogger } from '../log.ts';
import { createBrowserPool } from './browser.ts';
import type { BrowserPool } from './browser.ts';
import type { CollectDeps } from './context.ts';
import { CollectError } from './errors.ts';
import { fetchUrl } from './http.ts';
import { collectSource } from './index.ts';
import { send, startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const base: CollectDeps = {
  log: silentLogger(),
  timeZone: 'Asia/Shanghai',
  now: () => new Date(),
  fetch: (url, opts) => fetchUrl(url, opts, { sleep: async () => undefined }),
};

const RULES: WebRules = {
  itemSelector: '#news a.title',
  waitForSelector: '#news a.title',
  titleSelector: 'h1',
  contentSelector: '.body',
};
const LIST = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>电报</title></head><body><ul id="news"></ul>
<script>
fetch('api/list.json').then((r) => r.json()).then((d) => {
  document.getElementById('news').innerHTML = d.items.map((i) => '<li><a class="title" href="' + i.url + '">' + i.title + '</a></li>').join('');
});
</script></body></html>`;
const ARTICLE = (title: string, body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><div class="body"><p>${body}</p></div></body></html>`;
// The body of this one only exists once its script ran: the HTTP copy has a title and no text.
const SCRIPTED_ARTICLE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>北向资金净流入</title></head><body>
<h1>北向资金净流入</h1><div class="body"></div>
<script>document.querySelector('.body').innerHTML = '<p>北向资金今日净流入52.3亿元，连续三个交易日净买入。</p>';</script></body></html>`;

function dynamicSource(url: string, rules: WebRules, extra: Partial<SourceSpec> = {}): SourceSpec {
  return {
    id: 3,
    name: '财讯电报',
    kind: 'dynamic',
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

describe('collectSource for dynamic sources without a browser', () => {
  it('fails with a CollectError that says what is missing', async () => {
    const err = await collectSource(dynamicSource('http://127.0.0.1:9/', RULES), base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    expect((err as Error).message).toMatch(/财讯电报.*browser.*CHROMIUM_PATH/);
  });
});

describe.skipIf(!existsSync(CHROMIUM))(
  'collectSource for dynamic sources (system Chromium at /usr/bin/chromium)',
  () => {
    let srv: TestServer;
    let browser: BrowserPool;
    let world: DemoWorld;
    beforeAll(async () => {
      srv = await startTestServer({
        '/tele/index.html': send(LIST),
        '/tele/api/list.json': send(
          JSON.stringify({
            items: [
              { url: 'a/1.html', title: '央行开展逆回购' },
              { url: 'a/2.html', title: '沪指收涨' },
              { url: 'a/3.html', title: '北向资金净流入' },
            ],
          }),
          { 'content-type': 'application/json' },
        ),
        '/tele/a/1.html': send(
          ARTICLE('央行开展2000亿元逆回购操作', '中国人民银行今日开展2000亿元7天期逆回购操作，中标利率1.40%。'),
        ),
        '/tele/a/2.html': send(ARTICLE('沪指收涨0.8%', '沪指今日收涨0.8%，两市成交额1.2万亿元，较上一交易日放量。')),
        '/tele/a/3.html': send(SCRIPTED_ARTICLE),
      });
      browser = createBrowserPool({ executablePath: CHROMIUM, maxPages: 2, log: base.log });
      world = await startDemoWorld({ anchor: new Date() });
    });
    afterAll(async () => {
      await browser?.close();
      await srv?.close();
      await world?.close();
    });

    it('finds the links the list script builds and reads the articles, rendering the one without text', async () => {
      const r = await collectSource(dynamicSource(srv.url('/tele/index.html'), RULES), { ...base, browser });
      expect(r.items.map((i) => [i.url, i.title, i.content])).toEqual([
        [
          srv.url('/tele/a/1.html'),
          '央行开展2000亿元逆回购操作',
          '中国人民银行今日开展2000亿元7天期逆回购操作，中标利率1.40%。',
        ],
        [srv.url('/tele/a/2.html'), '沪指收涨0.8%', '沪指今日收涨0.8%，两市成交额1.2万亿元，较上一交易日放量。'],
        [srv.url('/tele/a/3.html'), '北向资金净流入', '北向资金今日净流入52.3亿元，连续三个交易日净买入。'],
      ]);
      expect(r).toMatchObject({ httpStatus: 200, notModified: false, etag: null, lastModified: null });
      // Articles 1 and 2 came over plain HTTP; only the list page and article 3 went through the browser.
      const hits = (path: string) => srv.requests.filter((q) => q.url === path).length;
      expect([hits('/tele/a/1.html'), hits('/tele/a/2.html'), hits('/tele/a/3.html')]).toEqual([1, 1, 2]);
    });

    it("collects the demo world's site-dynamic source", async () => {
      const seed = world.sources.find((s) => s.key === 'site-dynamic')!;
      const source: SourceSpec = { ...seed, id: 9, allowPrivate: true, headers: {}, etag: null, lastModified: null };
      const r = await collectSource(source, { ...base, browser });
      expect(r.items.length).toBeGreaterThanOrEqual(10);
      for (const item of r.items) {
        expect(item.title).toMatch(/\p{Script=Han}/u);
        expect(item.content?.length ?? 0).toBeGreaterThan(30);
        expect(item.content).toMatch(/\p{Script=Han}{10}/u);
        expect(item.publishedAt).toBeInstanceOf(Date);
      }
    });
  },
);
