/**
 * Dynamic web sources (`kind: 'dynamic'`): the same rules as static ones, but list pages are rendered in
 * headless Chromium first, because their links only exist after the page's scripts ran. Article pages are
 * fetched over plain HTTP and rendered only when that copy has no readable text.
 */
import type { CollectResult, SourceSpec } from '../domain.ts';
import type { RenderOptions } from './browser.ts';
import type { CollectDeps } from './context.ts';
import { CollectError } from './errors.ts';
import { DEFAULT_USER_AGENT } from './http.ts';
import { collectWebSite } from './web.ts';
import type { LoadedPage } from './web.ts';

/**
 * Collects one dynamic source with `deps.browser`.
 *
 * @example const { items } = await collectDynamicSite(source, { log, timeZone, now, browser });
 */
export async function collectDynamicSite(source: SourceSpec, deps: CollectDeps): Promise<CollectResult> {
  const browser = deps.browser;
  if (!browser) {
    throw new CollectError(
      `dynamic source "${source.name}" needs the browser collector, and this process was given no browser (see CHROMIUM_PATH)`,
    );
  }
  const base: RenderOptions = {
    headers: source.headers,
    userAgent: deps.userAgent ?? DEFAULT_USER_AGENT,
    allowPrivate: source.allowPrivate,
  };
  const render = async (url: string, opts: RenderOptions): Promise<LoadedPage> => {
    const page = await browser.render(url, opts);
    // A rendered DOM has no validators: dynamic sources are never fetched conditionally.
    return {
      html: page.html,
      url: page.finalUrl,
      status: page.status,
      bytes: Buffer.byteLength(page.html),
      etag: null,
      lastModified: null,
      notModified: false,
    };
  };
  return collectWebSite(source, deps, {
    loadListPage: (url) => render(url, { ...base, waitForSelector: source.rules?.waitForSelector }),
    renderArticle: (url) => render(url, base),
  });
}
