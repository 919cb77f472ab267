import { createHash } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { articlesQ, sourcesQ } from '../db/queries/index.ts';
import type { NewArticle } from '../db/queries/articles.ts';
import type { SourceRow } from '../db/queries/sources.ts';
import type { CollectedItem, CollectResult, SourceSpec } from '../domain.ts';
import { canonicalUrl, urlHash } from '../dedup/canonical-url.ts';
import { bands, simhash, toSigned64 } from '../dedup/simhash.ts';
import { dedupNumbers } from '../dedup/cluster.ts';
import { CollectError, FetchError } from './errors.ts';
import { fetchUrl } from './http.ts';
import { createHostLimiter } from './host-limit.ts';
import type { HostLimiter } from './host-limit.ts';
import { mapLimit } from '../lib/pool.ts';
import type { Logger } from '../log.ts';
import { metrics } from '../ops/metrics.ts';
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
  per_source: {
    id: number;
    name: string;
    kind: string;
    fetched: number;
    new: number;
    status: 'ok' | 'not_modified' | 'failed';
    error: string | null;
    /** What an operator should know about a success (items capped, time budget spent, nothing found). */
    warning?: string;
  }[];
}

/** Seconds a source may take in all without a setting (config `CRAWL_SOURCE_BUDGET_SEC`). */
export const DEFAULT_SOURCE_BUDGET_SEC = 120;

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
  /**
   * Seconds one source may take in all (list and article pages, retries and waits for a host slot); then it
   * stops with what it has read. A source's `rules.budgetSec` wins. @defaultValue DEFAULT_SOURCE_BUDGET_SEC
   */
  sourceBudgetSec?: number;
  /** Items kept per feed fetch, the newest (config `CRAWL_FEED_MAX_ITEMS`); a feed's `rules.maxItems` wins. @defaultValue 200 */
  maxFeedItems?: number;
}

/**
 * Collects every due source (or only `keys` / `ids`), stores new articles, and records each source's health.
 * A source's concurrency slot is held while it is fetched and parsed; storing its items and its health
 * happens after the slot is handed to the next source, so database time never idles the network.
 */
export async function runCollect(
  deps: CollectStageDeps,
  opts: { runId: number | null; keys?: string[]; ids?: number[] },
): Promise<CollectSummary> {
  const all = await sourcesQ.listDueSources(deps.db, deps.now());
  const due = all.filter(
    (s) => (!opts.keys || (s.key !== null && opts.keys.includes(s.key))) && (!opts.ids || opts.ids.includes(s.id)),
  );
  const feeds = due.filter((s) => s.kind === 'rss');
  const pages = due.filter((s) => s.kind !== 'rss');
  const limiter = deps.hostLimiter ?? createHostLimiter(deps.perHostConcurrency ?? 2);
  // Each fetch hands back its store as a settled promise (wrapped, so mapLimit does not wait for it, and
  // settled, so a database error is never an unhandled rejection while other sources are still fetching).
  const one = async (s: SourceRow) => {
    const fetched = await fetchOne(deps, limiter, s);
    return {
      stored: storeOne(deps, fetched, opts.runId).then(
        (r) => ({ r }),
        (err: unknown) => ({ err }),
      ),
    };
  };
  const pending = (
    await Promise.all([mapLimit(feeds, deps.concurrency.rss, one), mapLimit(pages, deps.concurrency.web, one)])
  ).flat();
  const settled = await Promise.all(pending.map((p) => p.stored));
  const failed = settled.find((x): x is { err: unknown } => 'err' in x);
  if (failed) throw failed.err;
  const results = settled.map((x) => (x as { r: SourceOutcome }).r);
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

type SourceOutcome = CollectSummary['per_source'][number] & { duplicates: number };

/** One source fetched and parsed (or failed), with the time it took. */
interface Fetched {
  source: SourceRow;
  startedAt: Date;
  durationMs: number;
  result?: CollectResult;
  error?: unknown;
}

async function fetchOne(deps: CollectStageDeps, hostLimiter: HostLimiter, s: SourceRow): Promise<Fetched> {
  const startedAt = deps.now();
  const t0 = performance.now();
  const spec: SourceSpec = {
    id: s.id,
    name: s.name,
    kind: s.kind,
    url: s.url,
    rules: s.rules ?? null,
    weight: s.weight,
    timezone: s.timezone,
    allowPrivate: s.allowPrivate,
    headers: s.headers,
    etag: s.etag,
    lastModified: s.lastModified,
  };
  const budget = sourceBudget(s.rules?.budgetSec ?? deps.sourceBudgetSec ?? DEFAULT_SOURCE_BUDGET_SEC);
  try {
    const result = await collectSource(spec, {
      log: deps.log.child({ source_id: s.id }),
      timeZone: s.timezone ?? deps.timeZone,
      now: deps.now,
      userAgent: deps.userAgent,
      fetch: (url, o) => fetchUrl(url, { timeoutMs: deps.timeoutMs, ...o }, { log: deps.log, hostLimiter }),
      browser: s.kind === 'dynamic' ? deps.browser : undefined,
      signal: budget.signal,
      maxFeedItems: deps.maxFeedItems,
    });
    return { source: s, startedAt, durationMs: Math.round(performance.now() - t0), result };
  } catch (error) {
    return { source: s, startedAt, durationMs: Math.round(performance.now() - t0), error };
  } finally {
    budget.stop();
  }
}

/** A signal that aborts after `sec` seconds, its reason the words an operator reads. */
function sourceBudget(sec: number): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new CollectError(`the source's time budget of ${sec} s is spent`)),
    sec * 1000,
  );
  return { signal: controller.signal, stop: () => clearTimeout(timer) };
}

/** Stores a fetched source's items and records its health (the fetch row's duration is the fetch's). */
async function storeOne(deps: CollectStageDeps, f: Fetched, runId: number | null): Promise<SourceOutcome> {
  const s = f.source;
  const base = { id: s.id, name: s.name, kind: s.kind };
  const fetchRow = { sourceId: s.id, runId, startedAt: f.startedAt, durationMs: f.durationMs };
  let err = f.error;
  if (f.result) {
    const result = f.result;
    try {
      const now = deps.now();
      const ids = await articlesQ.insertArticles(
        deps.db,
        result.items.map((item) => toArticle(s.id, item, now)),
      );
      const created = ids.filter((id) => id !== null).length;
      const status = result.notModified ? ('not_modified' as const) : ('ok' as const);
      const warning = await warningOf(deps.db, s.id, result);
      await sourcesQ.recordFetch(deps.db, {
        ...fetchRow,
        status,
        httpStatus: result.httpStatus,
        bytes: result.bytes,
        items: result.items.length,
        newItems: created,
        error: warning,
        etag: result.etag,
        lastModified: result.lastModified,
      });
      const fields = { source_id: s.id, source: s.name, items: result.items.length, new_items: created, status };
      if (warning) deps.log.warn({ ...fields, warning }, 'source collected with a warning');
      else deps.log.info(fields, 'source collected');
      const counts = { fetched: result.items.length, new: created, duplicates: ids.length - created };
      metrics.sourceFetched(s.kind, status, created, counts.duplicates);
      return { ...base, ...counts, status, error: null, ...(warning ? { warning } : {}) };
    } catch (e) {
      err = e;
    }
  }
  const error = (err instanceof Error && err.message) || String(err);
  deps.log.warn({ source_id: s.id, source: s.name, url: s.url, err }, 'source failed');
  metrics.sourceFetched(s.kind, 'failed');
  await sourcesQ.recordFetch(deps.db, {
    ...fetchRow,
    status: 'failed',
    httpStatus: (err as { status?: number } | undefined)?.status ?? null,
    bytes: 0,
    items: 0,
    newItems: 0,
    error,
    etag: null,
    lastModified: null,
    retryAfterMs: retryAfterOf(err),
  });
  return { ...base, fetched: 0, new: 0, duplicates: 0, status: 'failed', error };
}

/**
 * The collector's warnings, and one more when a source that used to give items gave none (a feed emptied, a
 * list page whose selector stopped matching): one line for the source's health, or null.
 */
async function warningOf(db: Db, sourceId: number, result: CollectResult): Promise<string | null> {
  const warnings = [...(result.warnings ?? [])];
  if (!result.notModified && result.items.length === 0) {
    const before = await sourcesQ.lastItemCount(db, sourceId);
    if (before > 0) warnings.unshift(`no items, where the last successful fetch had ${before}`);
  }
  return warnings.length ? warnings.join('; ') : null;
}

/** The Retry-After a server sent with the error (or with one of its causes), in milliseconds. */
function retryAfterOf(err: unknown): number | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof FetchError && e.retryAfterMs !== undefined) return e.retryAfterMs;
  }
  return undefined;
}

/** The article row of one collected item, normalised and fingerprinted, first seen at `now`. */
function toArticle(sourceId: number, item: CollectedItem, now: Date): NewArticle {
  const text = item.content ?? item.summary ?? '';
  const h = simhash(item.title, text);
  const [b0, b1, b2, b3] = bands(h);
  const published =
    item.publishedAt && item.publishedAt.getTime() <= now.getTime() + 3600_000 ? item.publishedAt : null;
  return {
    sourceId,
    url: item.url,
    canonicalUrl: canonicalUrl(item.url),
    urlHash: urlHash(item.url),
    guid: item.guid,
    title: item.title,
    summary: item.summary,
    content: item.content,
    author: item.author,
    publishedAt: published,
    firstSeenAt: now,
    effectiveAt: published ?? now,
    contentHash: contentHash(item.title, text),
    simhash: toSigned64(h),
    band0: b0,
    band1: b1,
    band2: b2,
    band3: b3,
    dedupNumbers: [...dedupNumbers(item.title, text)].sort(),
  };
}

/** Hash of the normalised title and text: equal for the same article re-published under another URL. */
export function contentHash(title: string, text: string): string {
  const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, ' ').trim();
  return createHash('sha256')
    .update(`${norm(title)}\n${norm(text)}`)
    .digest('hex')
    .slice(0, 32);
}
