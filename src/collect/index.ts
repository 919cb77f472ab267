/**
 * The collect stage: one source in, the items it currently lists out. Health bookkeeping, storage and
 * concurrency across sources belong to the caller (`collect/run.ts`).
 */
import type { CollectResult, SourceSpec } from '../domain.ts';
import type { CollectDeps } from './context.ts';
import { collectDynamicSite } from './dynamic.ts';
import { CollectError } from './errors.ts';
import { collectFeed } from './rss.ts';
import { collectWebSite } from './web.ts';

export type { CollectDeps } from './context.ts';
export { CHROMIUM_ARGS, createBrowserPool } from './browser.ts';
export type { BrowserPool, BrowserPoolOptions, BrowserPoolStats, RenderedPage, RenderOptions } from './browser.ts';
export { CollectError, FetchError, ParseError } from './errors.ts';
export type { FetchErrorCode } from './errors.ts';
export { DEFAULT_USER_AGENT, fetchUrl } from './http.ts';
export type { FetchDeps, FetchOptions, FetchResponse, Fetcher } from './http.ts';
export { extractMainText } from './extract-text.ts';
export type { ExtractedText, ExtractOptions } from './extract-text.ts';
export { decodeBody } from './charset.ts';
export { parseDate } from './dates.ts';

/**
 * Collects one source, dispatching on its kind.
 *
 * @example const { items } = await collectSource(source, { log, timeZone: config.tz, now: () => new Date() });
 */
export async function collectSource(source: SourceSpec, deps: CollectDeps): Promise<CollectResult> {
  switch (source.kind) {
    case 'rss':
      return collectFeed(source, deps);
    case 'web':
      return collectWebSite(source, deps);
    case 'dynamic':
      return collectDynamicSite(source, deps);
    default:
      throw new CollectError(`unknown source kind "${String((source as { kind: unknown }).kind)}"`);
  }
}
