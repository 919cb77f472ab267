/**
 * "Test this source": collect a source now, as the collect stage would, and return what it yields —
 * storing nothing and ignoring the remembered ETag, so an operator sees the items a definition finds.
 */
import type { SourceSpec } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { BrowserPool } from './browser.ts';
import { FetchError, ParseError } from './errors.ts';
import type { FetchErrorCode } from './errors.ts';
import { fetchUrl } from './http.ts';
import { collectSource } from './index.ts';
import type { SourceDefinition } from './source-spec.ts';

/** One item as a preview shows it. */
export interface PreviewItem {
  title: string;
  url: string;
  published_at: string | null;
  author: string | null;
  /** The main text's (or the feed summary's) first characters, whitespace collapsed. */
  excerpt: string;
  /** Characters of main text read (0 when the source gives only a summary). */
  text_chars: number;
}

export interface SourcePreview {
  ok: boolean;
  http_status: number | null;
  bytes: number;
  duration_ms: number;
  items: PreviewItem[];
  warnings: string[];
  error: string | null;
  /**
   * What kind of failure `error` is, for a reader that says it in its own words: a fetch's code
   * ({@link FetchErrorCode}), `parse` (the document could not be understood), or `other`; null when ok.
   */
  error_kind: FetchErrorCode | 'parse' | 'other' | null;
}

export interface PreviewDeps {
  log: Logger;
  timeZone: string;
  userAgent: string;
  timeoutMs: number;
  /** Needed for dynamic sources. */
  browser?: BrowserPool;
  /** @defaultValue 60 */
  budgetSec?: number;
  /** Characters per excerpt. @defaultValue 200 */
  excerptChars?: number;
}

/**
 * Collects `def` once and reports its items (or the error), never throwing for the source's own failures.
 *
 * @example const p = await previewSource(def, { log, timeZone: 'Asia/Shanghai', userAgent, timeoutMs: 20000 });
 */
export async function previewSource(def: SourceDefinition, deps: PreviewDeps): Promise<SourcePreview> {
  const spec: SourceSpec = { id: 0, etag: null, lastModified: null, ...def };
  const controller = new AbortController();
  const budget = def.rules?.budgetSec ?? deps.budgetSec ?? 60;
  const timer = setTimeout(
    () => controller.abort(new Error(`the preview's time budget of ${budget} s is spent`)),
    budget * 1000,
  );
  const t0 = performance.now();
  const chars = deps.excerptChars ?? 200;
  try {
    const r = await collectSource(spec, {
      log: deps.log,
      timeZone: def.timezone ?? deps.timeZone,
      now: () => new Date(),
      userAgent: deps.userAgent,
      fetch: (url, o) => fetchUrl(url, { timeoutMs: deps.timeoutMs, ...o }, { log: deps.log }),
      browser: deps.browser,
      signal: controller.signal,
    });
    return {
      ok: true,
      http_status: r.httpStatus,
      bytes: r.bytes,
      duration_ms: Math.round(performance.now() - t0),
      items: r.items.map((i) => {
        const text = (i.content ?? i.summary ?? '').replace(/\s+/g, ' ').trim();
        return {
          title: i.title,
          url: i.url,
          published_at: i.publishedAt?.toISOString() ?? null,
          author: i.author,
          excerpt: text.length > chars ? `${text.slice(0, chars)}…` : text,
          text_chars: i.content?.length ?? 0,
        };
      }),
      warnings: r.warnings ?? [],
      error: null,
      error_kind: null,
    };
  } catch (e) {
    return {
      ok: false,
      http_status: (e as { status?: number }).status ?? null,
      bytes: 0,
      duration_ms: Math.round(performance.now() - t0),
      items: [],
      warnings: [],
      error: (e instanceof Error && e.message) || String(e),
      error_kind: e instanceof FetchError ? e.code : e instanceof ParseError ? 'parse' : 'other',
    };
  } finally {
    clearTimeout(timer);
  }
}
