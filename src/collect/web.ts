/**
 * Static web sources (`kind: 'web'`): list page(s) → article links (CSS selectors from the source's rules)
 * → article pages, read with the rules' selectors or, without them, by main-text extraction.
 */
import * as cheerio from 'cheerio';
import type { CollectResult, CollectedItem, SourceSpec, WebRules } from '../domain.ts';
import { mapLimit } from '../lib/pool.ts';
import { toPlainText } from './boilerplate.ts';
import { decodeBody } from './charset.ts';
import { fetcherOf, fetchOptionsFor, sourceTimeZone, untilAborted } from './context.ts';
import type { CollectDeps } from './context.ts';
import { parseDate } from './dates.ts';
import { CollectError, ParseError } from './errors.ts';
import { DATE_IN_TEXT, extractMainText, readPageMeta } from './extract-text.ts';
import { collapseWhitespace, parseHtmlDocument } from './html-text.ts';
import { resolveUrl } from './jsonfeed.ts';

/** Article pages fetched at once per source. @defaultValue 2 */
export const WEB_ARTICLE_CONCURRENCY = 2;
const DEFAULT_MAX_ITEMS = 50;
const PAGE_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';

interface ListedLink {
  url: string;
  /** The link text on the list page: the title when the article page has none. */
  text: string;
}

/** A page as a collector reads it: decoded HTML and the URL it ended at. */
export interface LoadedPage {
  html: string;
  url: string;
  status: number | null;
  bytes: number;
  /** Validators for the next conditional fetch (null when the loader has none). */
  etag: string | null;
  lastModified: string | null;
  notModified: boolean;
}

/** Loads one list page; `conditional` is set for the first (the source row keeps one ETag). */
export type ListPageLoader = (url: string, conditional: boolean) => Promise<LoadedPage>;

export interface WebSiteOptions {
  /** Article pages fetched at once. @defaultValue WEB_ARTICLE_CONCURRENCY */
  concurrency?: number;
  /** Where list pages come from. @defaultValue plain HTTP (`httpListPage`) */
  loadListPage?: ListPageLoader;
  /** Second chance for an article page whose HTTP copy has no readable text (dynamic sources render it). */
  renderArticle?: (url: string) => Promise<LoadedPage>;
}

/**
 * Collects one static web source. A failing list page fails the source; a failing article page is logged
 * and skipped (unless every article page fails). When the source's time budget (`deps.signal`) runs out,
 * the pages read are kept, the rest skipped, and a warning says so (nothing read fails the source).
 */
export async function collectWebSite(
  source: SourceSpec,
  deps: CollectDeps,
  opts: WebSiteOptions = {},
): Promise<CollectResult> {
  const rules = source.rules;
  if (!rules?.itemSelector) throw new CollectError(`${source.kind} source "${source.name}" has no rules.itemSelector`);
  const fetch = fetcherOf(deps);
  const signal = deps.signal;
  const listing = await collectLinks(source, rules, deps, opts.loadListPage ?? httpListPage(source, deps));
  if (listing.notModified) return { ...listing.result, items: [] };

  let bytes = listing.result.bytes;
  const failures: unknown[] = [];
  let unread = 0;
  const read = { timeZone: sourceTimeZone(source, deps), now: deps.now() };
  const items = await mapLimit(listing.links, opts.concurrency ?? WEB_ARTICLE_CONCURRENCY, async (link) => {
    if (signal?.aborted) {
      unread++;
      return null;
    }
    try {
      const res = await fetch(link.url, fetchOptionsFor(source, deps, { accept: PAGE_ACCEPT }));
      bytes += res.body.length;
      refuseBinary(res.body, res.url, res.headers['content-type']);
      const item = readArticle(decodeBody(res.body, res.headers['content-type']), res.url, link, rules, read);
      if (item?.content || !opts.renderArticle) return item;
      try {
        const page = await untilAborted(opts.renderArticle(link.url), signal);
        bytes += page.bytes;
        return readArticle(page.html, page.url, link, rules, read) ?? item;
      } catch (err) {
        if (signal?.aborted) return item;
        deps.log.warn(
          { source_id: source.id, url: link.url, err },
          'article render failed; keeping the text-less copy',
        );
        return item;
      }
    } catch (err) {
      if (signal?.aborted) {
        unread++;
        return null;
      }
      failures.push(err);
      deps.log.warn({ source_id: source.id, url: link.url, err }, 'article page failed');
      return null;
    }
  });
  const kept = items.filter((i): i is CollectedItem => i !== null);
  const warnings =
    listing.links.length > 0
      ? []
      : [`rules.itemSelector "${rules.itemSelector}" matched no article link on the list page`];
  if (unread > 0) {
    const why = reasonOf(signal);
    if (kept.length === 0) {
      const what = `${listing.links.length} article pages of "${source.name}"`;
      throw new CollectError(`${why}: stopped before any of the ${what} was read`, { cause: signal?.reason });
    }
    warnings.push(`${why}: kept ${kept.length} of ${listing.links.length} article pages, ${unread} not read`);
    deps.log.warn({ source_id: source.id, kept: kept.length, unread }, 'source stopped by its time budget');
  } else if (listing.links.length > 0 && failures.length === listing.links.length) {
    const first = failures[0] instanceof Error ? failures[0].message : String(failures[0]);
    throw new CollectError(`all ${failures.length} article pages of "${source.name}" failed; first: ${first}`, {
      cause: failures[0],
    });
  }
  return { ...listing.result, bytes, items: kept, ...(warnings.length ? { warnings } : {}) };
}

/** The abort reason of a source's time budget, as words. */
function reasonOf(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'stopped');
}

/**
 * Refuses a body that is not text (an image, an archive, random bytes served as HTML): read as HTML it would
 * yield no link and no article, and the source would look healthy. NUL bytes (outside UTF-16) or more than
 * one control byte in ten at the start say binary.
 */
export function refuseBinary(body: Buffer, url: string, contentType: string | undefined): void {
  const head = body.subarray(0, 4096);
  if (head.length === 0) return;
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return;
  let controls = 0;
  for (const b of head) {
    if (b === 0) return fail();
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) controls++;
  }
  if (controls * 10 > head.length) fail();
  function fail(): never {
    throw new ParseError(`${url} is not an HTML page: its body is binary (Content-Type ${contentType ?? 'none'})`, {
      url,
    });
  }
}

/** List pages over plain HTTP, the first one fetched conditionally. */
export function httpListPage(source: SourceSpec, deps: CollectDeps): ListPageLoader {
  const fetch = fetcherOf(deps);
  return async (url, conditional) => {
    const res = await fetch(
      url,
      fetchOptionsFor(source, deps, {
        accept: PAGE_ACCEPT,
        ...(conditional ? { etag: source.etag, lastModified: source.lastModified } : {}),
      }),
    );
    if (!res.notModified) refuseBinary(res.body, res.url, res.headers['content-type']);
    return {
      html: res.notModified ? '' : decodeBody(res.body, res.headers['content-type']),
      url: res.url,
      status: res.status,
      bytes: res.body.length,
      notModified: res.notModified,
      etag: res.headers.etag ?? (res.notModified ? source.etag : null),
      lastModified: res.headers['last-modified'] ?? (res.notModified ? source.lastModified : null),
    };
  };
}

async function collectLinks(source: SourceSpec, rules: WebRules, deps: CollectDeps, load: ListPageLoader) {
  const maxItems = rules.maxItems ?? DEFAULT_MAX_ITEMS;
  const maxPages = Math.max(1, rules.maxPages ?? 1);
  const starts = rules.listUrls?.length ? rules.listUrls : [source.url];
  const links: ListedLink[] = [];
  const seen = new Set<string>();
  const result: CollectResult = {
    items: [],
    notModified: false,
    httpStatus: null,
    bytes: 0,
    etag: null,
    lastModified: null,
  };

  for (const [i, start] of starts.entries()) {
    let next: string | null = resolveUrl(start, source.url);
    const visited = new Set<string>();
    for (let page = 0; next && page < maxPages && links.length < maxItems; page++) {
      visited.add(next);
      // Only the first list page is fetched conditionally: the source row keeps one ETag.
      const first = i === 0 && page === 0;
      const res = await untilAborted(load(next, first), deps.signal);
      result.bytes += res.bytes;
      if (first) {
        result.httpStatus = res.status;
        result.etag = res.etag;
        result.lastModified = res.lastModified;
        if (res.notModified) return { notModified: true, links, result: { ...result, notModified: true } };
      }
      const $ = cheerio.load(res.html);
      const base = resolveUrl($('base[href]').attr('href') ?? '', res.url) ?? res.url;
      for (const link of listLinks($, rules.itemSelector, base)) {
        if (links.length >= maxItems) break;
        if (seen.has(link.url)) continue;
        seen.add(link.url);
        links.push(link);
      }
      const href = rules.nextPageSelector ? $(rules.nextPageSelector).first().attr('href') : undefined;
      next = href ? withoutHash(resolveUrl(href, base)) : null;
      if (next && visited.has(next)) next = null;
    }
  }
  deps.log.debug({ source_id: source.id, links: links.length }, 'list pages read');
  return { notModified: false, links, result };
}

/** The article links matched by `selector` (an `a`, or an element containing one), absolute, http(s) only. */
export function listLinks($: cheerio.CheerioAPI, selector: string, base: string): ListedLink[] {
  const out: ListedLink[] = [];
  $(selector).each((_, el) => {
    const a = $(el).is('a[href]') ? $(el) : $(el).find('a[href]').first();
    const url = withoutHash(resolveUrl(a.attr('href') ?? '', base));
    if (url) out.push({ url, text: collapseWhitespace(a.attr('title') ?? a.text()) });
  });
  return out;
}

function withoutHash(url: string | null): string | null {
  if (!url) return null;
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

/** Reads one article page with the source's rules, falling back to main-text extraction. */
export function readArticle(
  html: string,
  url: string,
  link: ListedLink,
  rules: WebRules,
  opts: { timeZone: string; now: Date },
): CollectedItem | null {
  const $ = cheerio.load(html);
  // Without a content selector the extractor reads the whole page anyway; with one, the page's declared
  // metadata is enough for the fields the selectors miss.
  let page: PageFallback | undefined;
  const fallback = () => (page ??= rules.contentSelector ? declaredMeta(html, opts) : extractMainText(html, url, opts));
  const text = (sel: string | undefined) => (sel ? collapseWhitespace($(sel).first().text()) || null : null);

  const title = text(rules.titleSelector) ?? text('h1') ?? fallback().title ?? (link.text || null);
  if (!title) return null;
  const selected = rules.contentSelector
    ? toPlainText(
        $(rules.contentSelector)
          .toArray()
          .map((el) => $.html(el))
          .join('\n'),
        title,
      )
    : null;
  // A content selector that stopped matching (site redesign) falls back to extraction rather than losing text.
  const content = selected ?? ((fallback().articleBody ?? extractMainText(html, url, opts).articleBody) || null);
  const description = collapseWhitespace($('meta[name="description"]').attr('content') ?? '');
  return {
    url,
    title,
    summary: description || null,
    content,
    author: cleanLabel(text(rules.authorSelector)) ?? fallback().author,
    publishedAt: dateFromRules($, rules, opts) ?? fallback().publishedAt,
    guid: null,
  };
}

interface PageFallback {
  title: string | null;
  author: string | null;
  publishedAt: Date | null;
  articleBody?: string;
}

function declaredMeta(html: string, opts: { timeZone: string; now: Date }): PageFallback {
  const meta = readPageMeta(parseHtmlDocument(html), opts.timeZone, opts.now);
  return { title: meta.title, author: meta.author, publishedAt: meta.publishedAt ?? meta.dateInText };
}

function dateFromRules($: cheerio.CheerioAPI, rules: WebRules, opts: { timeZone: string; now: Date }): Date | null {
  if (!rules.dateSelector) return null;
  const el = $(rules.dateSelector).first();
  if (!el.length) return null;
  for (const raw of [el.attr('datetime'), el.attr('content'), el.text()]) {
    const d = dateFromText(raw ?? '', opts.timeZone, opts.now);
    if (d) return d;
  }
  return null;
}

/** A date from text such as "发布时间：2025-11-10 08:30" or "3小时前". */
export function dateFromText(raw: string, timeZone: string, now: Date): Date | null {
  const s = collapseWhitespace(raw);
  if (!s) return null;
  const inner = DATE_IN_TEXT.exec(s)?.[0];
  return (
    parseDate(s, timeZone, now) ??
    (inner ? parseDate(inner, timeZone, now) : null) ??
    parseDate(s.replace(/^[^:：]*[:：]\s*/, ''), timeZone, now)
  );
}

function cleanLabel(s: string | null): string | null {
  const t = (s ?? '').replace(/^(?:作者|记者|编辑|来源)\s*[:：]\s*/, '').trim();
  return t || null;
}
