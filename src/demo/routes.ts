/**
 * Renders the whole demo world into a path → resource table once, at start. The content is a pure
 * function of the anchor, so ETags are stable and conditional GETs behave like a real server's.
 */
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import type { PlacedArticle } from './articles/index.ts';
import type { SourceKey } from './articles/types.ts';
import { OUTLETS, articlePath } from './outlets.ts';
import { localParts } from './time.ts';
import { renderAtom, renderRss } from './render/feeds.ts';
import type { RssOptions } from './render/feeds.ts';
import { renderNewsPage } from './render/news-page.ts';
import { renderPolicyArticle, renderPolicyList } from './render/policy-site.ts';
import { industryPages, renderIndustryArticle, renderIndustryList } from './render/industry-site.ts';
import { renderDynamicArticle, renderDynamicJson, renderDynamicList } from './render/dynamic-site.ts';
import { renderHome } from './render/home.ts';

/** One servable response body. */
export interface Resource {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Feeds carry Last-Modified as well, for If-Modified-Since. */
  lastModified: string | null;
}

function resource(
  text: string,
  contentType: string,
  charset: 'utf-8' | 'gbk',
  lastModified: Date | null = null,
): Resource {
  const body = charset === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"`;
  const label = charset === 'gbk' ? 'GBK' : 'utf-8';
  return {
    body,
    contentType: `${contentType}; charset=${label}`,
    etag,
    lastModified: lastModified?.toUTCString() ?? null,
  };
}

/** Builds every feed, list page, article page and JSON endpoint of the world. */
export function buildRoutes(
  articles: PlacedArticle[],
  baseUrl: string,
  anchor: Date,
  timezone: string,
): Map<string, Resource> {
  const routes = new Map<string, Resource>();
  const of = (key: SourceKey): PlacedArticle[] => articles.filter((a) => a.outlet === key);
  const pathOf = (a: PlacedArticle): string => articlePath(a.outlet, a.slug, localParts(a.publishedAt, timezone).year);
  const abs = (a: PlacedArticle): string => baseUrl + pathOf(a);
  const built = articles.reduce((t, a) => Math.max(t, a.publishedAt.getTime()), 0);
  const builtAt = new Date(built || anchor.getTime());

  const feed = (key: SourceKey, opts: Partial<RssOptions>): void => {
    const o = OUTLETS[key];
    const encoding = o.charset === 'gbk' ? 'GBK' : 'UTF-8';
    const xml = renderRss(of(key), {
      title: o.name,
      description: o.tagline,
      siteUrl: `${baseUrl}/`,
      selfUrl: baseUrl + o.entry,
      linkOf: abs,
      dateStyle: 'rfc822',
      fullText: true,
      encoding,
      timezone,
      builtAt,
      ...opts,
    });
    routes.set(o.entry, resource(xml, 'application/xml', o.charset, builtAt));
  };
  feed('feed-macro', {});
  feed('feed-gbk', {});
  feed('feed-global', {});
  feed('feed-companies', {});
  // Relative links and Chinese local dates, as some CMS-generated feeds have. Full text stays in the feed
  // so that its copy of the shared story can be clustered even by a collector that never opens the pages.
  feed('feed-relative', { linkOf: pathOf, dateStyle: 'chinese' });

  const markets = OUTLETS['feed-markets'];
  routes.set(
    markets.entry,
    resource(
      renderAtom(of('feed-markets'), {
        title: markets.name,
        subtitle: markets.tagline,
        siteUrl: `${baseUrl}/`,
        selfUrl: baseUrl + markets.entry,
        linkOf: abs,
        timezone,
        builtAt,
      }),
      'application/atom+xml',
      'utf-8',
      builtAt,
    ),
  );

  const feedOutlets: SourceKey[] = [
    'feed-macro',
    'feed-markets',
    'feed-gbk',
    'feed-relative',
    'feed-global',
    'feed-companies',
  ];
  for (const key of feedOutlets) {
    const o = OUTLETS[key];
    const mine = of(key);
    for (const a of mine) {
      const html = renderNewsPage(a, mine, { outletName: o.name, charset: o.charset, homePath: '/', pathOf, timezone });
      routes.set(pathOf(a), resource(html, 'text/html', o.charset));
    }
  }

  const policy = of('site-policy');
  routes.set('/sites/policy/index.html', resource(renderPolicyList(policy, timezone), 'text/html', 'utf-8'));
  for (const a of policy)
    routes.set(pathOf(a), resource(renderPolicyArticle(a, policy, timezone), 'text/html', 'utf-8'));

  const industry = of('site-industry');
  const pages = industryPages(industry);
  pages.forEach((items, i) => {
    const path = i === 0 ? '/sites/industry/index.html' : `/sites/industry/index_${i + 1}.html`;
    routes.set(path, resource(renderIndustryList(items, i + 1, pages.length, timezone), 'text/html', 'gbk'));
  });
  for (const a of industry)
    routes.set(pathOf(a), resource(renderIndustryArticle(a, industry, timezone), 'text/html', 'gbk'));

  const dynamic = of('site-dynamic');
  routes.set('/sites/dynamic/index.html', resource(renderDynamicList(), 'text/html', 'utf-8'));
  routes.set(
    '/sites/dynamic/api/list.json',
    resource(renderDynamicJson(dynamic, timezone), 'application/json', 'utf-8'),
  );
  for (const a of dynamic) routes.set(pathOf(a), resource(renderDynamicArticle(a, timezone), 'text/html', 'utf-8'));

  routes.set('/', resource(renderHome(articles), 'text/html', 'utf-8'));
  return routes;
}
