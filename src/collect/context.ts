/** What every collector receives from its caller, and the fetch options a source implies. */
import type { SourceSpec } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { BrowserPool } from './browser.ts';
import { fetchUrl } from './http.ts';
import type { FetchOptions, Fetcher } from './http.ts';

export interface CollectDeps {
  log: Logger;
  /** The HTTP layer; `fetchUrl` when absent (`runCollect` passes one bound to the run's per-host limiter). */
  fetch?: Fetcher;
  /** Zone for dates printed without one, when the source has no `timezone` (config `TZ`). */
  timeZone: string;
  now: () => Date;
  /** @defaultValue DEFAULT_USER_AGENT */
  userAgent?: string;
  /** Headless Chromium for `dynamic` sources; without it they fail with a `CollectError`. */
  browser?: BrowserPool;
  /**
   * The source's time budget: when it aborts, the collector starts nothing more, stops what is in flight
   * and returns what it has read (or fails when it has nothing). Its reason is the operator's message.
   */
  signal?: AbortSignal;
  /** Items kept per feed fetch, the newest, when the source's rules set no `maxItems`. @defaultValue DEFAULT_FEED_MAX_ITEMS */
  maxFeedItems?: number;
}

/** Items kept per feed fetch without a setting (config `CRAWL_FEED_MAX_ITEMS`). */
export const DEFAULT_FEED_MAX_ITEMS = 200;

/** The fetch function to use for `deps`. */
export function fetcherOf(deps: CollectDeps): Fetcher {
  return deps.fetch ?? ((url, opts) => fetchUrl(url, opts, { log: deps.log }));
}

/** Fetch options every request made for `source` carries. */
export function fetchOptionsFor(source: SourceSpec, deps: CollectDeps, extra: FetchOptions = {}): FetchOptions {
  return {
    headers: source.headers,
    allowPrivate: source.allowPrivate,
    userAgent: deps.userAgent,
    signal: deps.signal,
    ...extra,
  };
}

/** `work`, or the signal's reason as soon as it aborts (for work that takes no signal, such as a render). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The zone in which `source` prints its dates. */
export function sourceTimeZone(source: SourceSpec, deps: CollectDeps): string {
  return source.timezone ?? deps.timeZone;
}
