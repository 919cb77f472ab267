/**
 * Serves a planned world (`edition-world.ts`) over real HTTP: one server per site, each on its own loopback
 * address (127.0.x.y, so per-host limits apply per site as on the Internet), every response delayed by the
 * injected latency. RSS sites serve `/feed.xml`; static sites a list page and article pages; dynamic sites
 * a list page whose links exist only after its script loaded `api/list.json` (Chromium needed), and static
 * article pages. Also the source seeds pointing at them.
 */
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SourceSeed } from '../../src/db/queries/sources.ts';
import type { WebRules } from '../../src/domain.ts';
import { isoLocal, localStamp, rfc822 } from '../../src/demo/time.ts';
import { escapeHtml as h, escapeXml as x } from '../../src/demo/xml.ts';
import type { WorldItem, WorldPlan, WorldSite } from './edition-world.ts';

/** Selectors of the static sites. */
export const STATIC_RULES: WebRules = {
  itemSelector: 'ul.news-list a.item',
  titleSelector: 'h1.title',
  dateSelector: '.meta time',
  authorSelector: '.meta .author',
  contentSelector: '.article-content',
  maxItems: 100,
};

/** Selectors of the dynamic sites (the list is rendered by the page's script). */
export const DYNAMIC_RULES: WebRules = {
  ...STATIC_RULES,
  itemSelector: '#list li a.item',
  waitForSelector: '#list li a.item',
};

export interface ServedWorld {
  /** One seed per site, keys `bench:<kind>-<nnn>`, private addresses allowed. */
  seeds: SourceSeed[];
  /** Requests answered so far, by kind of page. */
  requests: { feed: number; list: number; json: number; article: number; other: number };
  /** Item URL → story, for checking the clusters the pipeline formed. */
  storyOfUrl: Map<string, string>;
  /** Peak requests in flight at one site. */
  peakPerHost(): number;
  close(): Promise<void>;
}

/** One page a site serves. */
export interface Page {
  type: string;
  body: string;
  kind: keyof ServedWorld['requests'];
}

/** Starts every site of the plan; resolves once all listen. */
export async function serveWorld(plan: WorldPlan, opts: { latencyMs: number; timeZone: string }): Promise<ServedWorld> {
  const requests = { feed: 0, list: 0, json: 0, article: 0, other: 0 };
  const storyOfUrl = new Map<string, string>();
  const peaks: number[] = [];
  const servers: Server[] = [];
  const seeds: SourceSeed[] = [];
  await Promise.all(
    plan.sites.map(async (site) => {
      const host = `127.0.${1 + Math.floor(site.index / 250)}.${1 + (site.index % 250)}`;
      const pages = new Map<string, Page>();
      let now = 0;
      peaks[site.index] = 0;
      const server = createServer((req, res) => {
        peaks[site.index] = Math.max(peaks[site.index]!, ++now);
        const page = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
        requests[page?.kind ?? 'other']++;
        setTimeout(() => {
          now--;
          answer(res, page);
        }, opts.latencyMs);
      });
      server.keepAliveTimeout = 30_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
      servers.push(server);
      const base = `http://${host}:${(server.address() as AddressInfo).port}`;
      for (const item of site.items) storyOfUrl.set(`${base}/news/${item.slug}.html`, item.story);
      fillPages(pages, site, base, opts.timeZone);
      seeds[site.index] = sourceSeed(site, base, opts.timeZone);
    }),
  );
  return {
    seeds,
    requests,
    storyOfUrl,
    peakPerHost: () => Math.max(...peaks),
    close: () => closeServers(servers),
  };
}

/** The source a site of a world is to finrep: its feed or list page at `base`, the selectors of its kind. */
export function sourceSeed(site: Pick<WorldSite, 'key' | 'name' | 'kind'>, base: string, timeZone: string): SourceSeed {
  return {
    key: site.key,
    name: site.name,
    kind: site.kind,
    url: site.kind === 'rss' ? `${base}/feed.xml` : `${base}/`,
    rules: site.kind === 'rss' ? null : site.kind === 'web' ? STATIC_RULES : DYNAMIC_RULES,
    weight: 1,
    timezone: timeZone,
    allowPrivate: true,
  };
}

/** Sends a site's page, or a 404 when it has none at that path. */
export function answer(res: ServerResponse, page: Page | undefined): void {
  if (!page) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  else res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-cache' }).end(page.body);
}

/** Closes the sites' servers, their keep-alive connections first. */
export function closeServers(servers: Server[]): Promise<void> {
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  ).then(() => undefined);
}

const HTML = 'text/html; charset=utf-8';

/** Puts a site's pages (its feed, or list and article pages) under their paths, for a site served at `base`. */
export function fillPages(pages: Map<string, Page>, site: WorldSite, base: string, tz: string): void {
  if (site.kind === 'rss') {
    pages.set('/feed.xml', { type: 'application/rss+xml; charset=utf-8', body: feedXml(site, base, tz), kind: 'feed' });
    return;
  }
  pages.set('/', { type: HTML, body: site.kind === 'web' ? staticList(site, tz) : dynamicShell(site), kind: 'list' });
  if (site.kind === 'dynamic') {
    pages.set('/api/list.json', {
      type: 'application/json; charset=utf-8',
      kind: 'json',
      body: JSON.stringify({
        code: 0,
        items: site.items.map((i) => ({
          title: i.title,
          url: `news/${i.slug}.html`,
          time: localStamp(i.publishedAt, tz),
        })),
      }),
    });
  }
  for (const item of site.items)
    pages.set(`/news/${item.slug}.html`, { type: HTML, body: articleHtml(site, item, tz), kind: 'article' });
}

function feedXml(site: WorldSite, base: string, tz: string): string {
  const items = site.items
    .map((i) => {
      const link = `${base}/news/${i.slug}.html`;
      const text = i.paragraphs.join('\n');
      return (
        `<item><title>${x(i.title)}</title><link>${link}</link><guid isPermaLink="true">${link}</guid>` +
        `<pubDate>${rfc822(i.publishedAt, tz)}</pubDate><author>${x(i.author)}</author>` +
        `<description>${x(text.slice(0, 120))}</description>` +
        `<content:encoded><![CDATA[${i.paragraphs.map((p) => `<p>${h(p)}</p>`).join('')}]]></content:encoded></item>`
      );
    })
    .join('\n');
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">` +
    `<channel><title>${x(site.name)}</title><link>${base}/</link><description>${x(site.name)}滚动新闻</description><language>zh-cn</language>\n${items}\n</channel></rss>\n`
  );
}

function head(title: string): string {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${h(title)}</title></head>`;
}

function staticList(site: WorldSite, tz: string): string {
  const lis = site.items
    .map(
      (i) =>
        `<li><a class="item" href="/news/${i.slug}.html">${h(i.title)}</a> <span class="time">${localStamp(i.publishedAt, tz)}</span></li>`,
    )
    .join('\n');
  return `${head(`${site.name}_滚动新闻`)}<body><header><a href="/">${h(site.name)}</a></header><main><h2>滚动新闻</h2><ul class="news-list">\n${lis}\n</ul></main></body></html>\n`;
}

function dynamicShell(site: WorldSite): string {
  return `${head(`7×24小时电报_${site.name}`)}<body><main><h2>7×24小时电报</h2><p id="loading">加载中…</p><ul id="list"></ul>
<noscript>请启用 JavaScript 以查看电报列表。</noscript></main>
<script>
fetch('api/list.json').then(function (r) { return r.json(); }).then(function (data) {
  var ul = document.getElementById('list');
  data.items.forEach(function (it) {
    var li = document.createElement('li');
    var a = document.createElement('a');
    a.className = 'item'; a.href = it.url; a.textContent = it.title;
    li.appendChild(a); ul.appendChild(li);
  });
  document.getElementById('loading').remove();
});
</script></body></html>
`;
}

function articleHtml(site: WorldSite, i: WorldItem, tz: string): string {
  return (
    `${head(`${i.title}_${site.name}`)}<body><header><a href="/">${h(site.name)}</a></header><article>` +
    `<h1 class="title">${h(i.title)}</h1>` +
    `<div class="meta"><time datetime="${isoLocal(i.publishedAt, tz)}">${localStamp(i.publishedAt, tz)}</time> <span class="author">作者：${h(i.author)}</span></div>` +
    `<div class="article-content">${i.paragraphs.map((p) => `<p>${h(p)}</p>`).join('')}</div>` +
    `<p class="disclaimer">本文为 finrep 基准测试数据，纯属虚构。</p></article></body></html>\n`
  );
}

/**
 * The same world on ONE port, each site told apart by the `Host` header (`hostOf(site)`, e.g. `site-007`):
 * for a world served from a container, where the sites' names are network aliases of that container
 * (`bench/lib/serve-world.ts`, `npm run bench:stack`). Per-host limits apply per name, as on the Internet.
 */
export async function serveWorldByHost(
  plan: WorldPlan,
  opts: { latencyMs: number; timeZone: string; port: number; listen?: string; hostOf: (site: WorldSite) => string },
): Promise<ServedWorld> {
  const requests = { feed: 0, list: 0, json: 0, article: 0, other: 0 };
  const storyOfUrl = new Map<string, string>();
  const bySite = new Map<string, { index: number; pages: Map<string, Page>; now: number }>();
  const peaks: number[] = [];
  const seeds: SourceSeed[] = [];
  for (const site of plan.sites) {
    const name = opts.hostOf(site).toLowerCase();
    const base = `http://${name}:${opts.port}`;
    const pages = new Map<string, Page>();
    for (const item of site.items) storyOfUrl.set(`${base}/news/${item.slug}.html`, item.story);
    fillPages(pages, site, base, opts.timeZone);
    bySite.set(name, { index: site.index, pages, now: 0 });
    peaks[site.index] = 0;
    seeds[site.index] = sourceSeed(site, base, opts.timeZone);
  }
  const server = createServer((req, res) => {
    const site = bySite.get((req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase());
    if (site) peaks[site.index] = Math.max(peaks[site.index]!, ++site.now);
    const page = site?.pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    requests[page?.kind ?? 'other']++;
    setTimeout(() => {
      if (site) site.now--;
      answer(res, page);
    }, opts.latencyMs);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.listen ?? '0.0.0.0', () => resolve());
  });
  return {
    seeds,
    requests,
    storyOfUrl,
    peakPerHost: () => Math.max(...peaks),
    close: () => closeServers([server]),
  };
}
