import { createHash } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { articlesQ, sourcesQ } from '../db/queries/index.ts';
import type { SourceRow } from '../db/queries/sources.ts';
import type { CollectedItem, SourceSpec } from '../domain.ts';
import { canonicalUrl, urlHash } from '../dedup/canonical-url.ts';
import { bands, simhash, toSigned64 } from '../dedup/simhash.ts';
import { dedupNumbers } from '../dedup/cluster.ts';
import { fetchUrl } from './http.ts';
import { createHostLimiter } from './host-limit.ts';
import type { HostLimiter } from './host-limit.ts';
import { mapLimit } from '../lib/pool.ts';
import type { Logger } from '../log.ts';
import type { BrowserPool } from './browser.ts';
import { collectSource } from './index.ts';

/** What the collect stage did, for the run summary. */
export interface CollectSummary {
  sources: number;
  fetched: number;
  new_articles: number;
  failed_sources: number;
  /** Exact duplicates: URLs or same-source texts already stored. */
  duplicates: number;
  errors: { source: string; error: string }[];
  per_source: { id: number; name: string; kind: string; fetched: number; new: number; status: 'ok' | 'not_modified' | 'failed'; error: string | null }[];
}

export interface CollectStageDeps {
  db: Db;
  log: Logger;
  now: () => Date;
  timeZone: string;
  userAgent: string;
  timeoutMs: number;
  concurrency: { rss: number; web: number };
  /** Requests in flight per host, across all sources of the run (config `CRAWL_PER_HOST_CONCURRENCY`). @defaultValue 2 */
  perHostConcurrency?: number;
  /** Headless Chromium for dynamic sources (created and closed by the caller); without it they fail. */
  browser?: BrowserPool;
  /** A per-host limiter shared with other collect calls of this process (a worker's jobs); one per call when absent. */
  hostLimiter?: HostLimiter;
}

/** Collects every due source (or only `keys`), stores new articles, and records each source's health. */
export async function runCollect(deps: CollectStageDeps, opts: { runId: number | null; keys?: string[]; ids?: number[] }): Promise<CollectSummary> {
  const all = await sourcesQ.listDueSources(deps.db, deps.now());
  const due = all.filter((s) => (!opts.keys || (s.key !== null && opts.keys.includes(s.key))) && (!opts.ids || opts.ids.includes(s.id)));
  const feeds = due.filter((s) => s.kind === 'rss');
  const pages = due.filter((s) => s.kind !== 'rss');
  const limiter = deps.hostLimiter ?? createHostLimiter(deps.perHostConcurrency ?? 2);
  const one = (s: SourceRow) => collectOne(deps, limiter, s, opts.runId);
  const results = [
    ...(await Promise.all([mapLimit(feeds, deps.concurrency.rss, one), mapLimit(pages, deps.concurrency.web, one)])).flat(),
  ];
  return {
    sources: due.length,
    fetched: results.reduce((n, r) => n + r.fetched, 0),
    new_articles: results.reduce((n, r) => n + r.new, 0),
    failed_sources: results.filter((r) => r.status === 'failed').length,
    duplicates: results.reduce((n, r) => n + r.duplicates, 0),
    errors: results.filter((r) => r.error).map((r) => ({ source: r.name, error: r.error! })),
    per_source: results.map(({ duplicates: _d, ...r }) => r),
  };
}

async function collectOne(deps: CollectStageDeps, hostLimiter: HostLimiter, s: SourceRow, runId: number | null) {
  const startedAt = deps.now();
  const t0 = performance.now();
  const spec: SourceSpec = {
    id: s.id, name: s.name, kind: s.kind, url: s.url, rules: s.rules ?? null, weight: s.weight, timezone: s.timezone,
    allowPrivate: s.allowPrivate, headers: s.headers, etag: s.etag, lastModified: s.lastModified,
  };
  const base = { id: s.id, name: s.name, kind: s.kind };
  try {
    const result = await collectSource(spec, {
      log: deps.log.child({ source_id: s.id }), timeZone: s.timezone ?? deps.timeZone, now: deps.now, userAgent: deps.userAgent,
      fetch: (url, o) => fetchUrl(url, { timeoutMs: deps.timeoutMs, ...o }, { log: deps.log, hostLimiter }),
      browser: s.kind === 'dynamic' ? deps.browser : undefined,
    });
    let created = 0;
    let duplicates = 0;
    for (const item of result.items) {
      const id = await storeItem(deps, s.id, item);
      if (id === null) duplicates++; else created++;
    }
    const status = result.notModified ? 'not_modified' as const : 'ok' as const;
    await sourcesQ.recordFetch(deps.db, {
      sourceId: s.id, runId, startedAt, durationMs: Math.round(performance.now() - t0), status, httpStatus: result.httpStatus,
      bytes: result.bytes, items: result.items.length, newItems: created, error: null, etag: result.etag, lastModified: result.lastModified,
    });
    deps.log.info({ source_id: s.id, source: s.name, items: result.items.length, new_items: created, status }, 'source collected');
    return { ...base, fetched: result.items.length, new: created, duplicates, status, error: null };
  } catch (err) {
    const error = (err as Error).message || String(err);
    deps.log.warn({ source_id: s.id, source: s.name, url: s.url, err }, 'source failed');
    await sourcesQ.recordFetch(deps.db, {
      sourceId: s.id, runId, startedAt, durationMs: Math.round(performance.now() - t0), status: 'failed',
      httpStatus: (err as { status?: number }).status ?? null, bytes: 0, items: 0, newItems: 0, error, etag: null, lastModified: null,
    });
    return { ...base, fetched: 0, new: 0, duplicates: 0, status: 'failed' as const, error };
  }
}

/** Normalises one collected item and stores it; null when it is a duplicate. */
async function storeItem(deps: CollectStageDeps, sourceId: number, item: CollectedItem): Promise<number | null> {
  const text = item.content ?? item.summary ?? '';
  const canonical = canonicalUrl(item.url);
  const h = simhash(item.title, text);
  const [b0, b1, b2, b3] = bands(h);
  const now = deps.now();
  const published = item.publishedAt && item.publishedAt.getTime() <= now.getTime() + 3600_000 ? item.publishedAt : null;
  return articlesQ.insertArticle(deps.db, {
    sourceId, url: item.url, canonicalUrl: canonical, urlHash: urlHash(item.url), guid: item.guid,
    title: item.title, summary: item.summary, content: item.content, author: item.author,
    publishedAt: published, firstSeenAt: now, effectiveAt: published ?? now,
    contentHash: contentHash(item.title, text),
    simhash: toSigned64(h), band0: b0, band1: b1, band2: b2, band3: b3, dedupNumbers: [...dedupNumbers(item.title, text)].sort(),
  });
}

/** Hash of the normalised title and text: equal for the same article re-published under another URL. */
export function contentHash(title: string, text: string): string {
  const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(`${norm(title)}\n${norm(text)}`).digest('hex').slice(0, 32);
}
