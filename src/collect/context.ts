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
}

/** The fetch function to use for `deps`. */
export function fetcherOf(deps: CollectDeps): Fetcher {
  return deps.fetch ?? ((url, opts) => fetchUrl(url, opts, { log: deps.log }));
}

/** Fetch options every request made for `source` carries. */
export function fetchOptionsFor(source: SourceSpec, deps: CollectDeps, extra: FetchOptions = {}): FetchOptions {
  return { headers: source.headers, allowPrivate: source.allowPrivate, userAgent: deps.userAgent, ...extra };
}

/** The zone in which `source` prints its dates. */
export function sourceTimeZone(source: SourceSpec, deps: CollectDeps): string {
  return source.timezone ?? deps.timeZone;
}
