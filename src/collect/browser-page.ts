/**
 * One page rendered in its own browser context: assets blocked, private addresses refused (the same rule as
 * the HTTP layer), source headers sent to the page's own origin only, and Playwright's errors turned into
 * the `FetchError`s the rest of the collect stage already understands.
 */
import type { Browser, Route } from 'playwright-core';
import type { Logger } from '../log.ts';
import { assertPublicHost } from './address-guard.ts';
import type { HostLookup } from './address-guard.ts';
import { CollectError, FetchError } from './errors.ts';
import { DEFAULT_USER_AGENT } from './http.ts';

const BLOCKED_TYPES = new Set(['image', 'font', 'media', 'stylesheet']);
const MAX_HTML_CHARS = 15 * 1024 * 1024;

export interface RenderOptions {
  /** Wait until this selector is in the DOM; without it, until the network has been idle for 500 ms. */
  waitForSelector?: string;
  /** @defaultValue the pool's `navigationTimeoutMs` */
  timeoutMs?: number;
  /** Source headers: sent to the page's own origin only (a `user-agent` among them wins). */
  headers?: Record<string, string>;
  /** @defaultValue DEFAULT_USER_AGENT */
  userAgent?: string;
  /** Allow loopback/private targets (the demo world, tests). @defaultValue false */
  allowPrivate?: boolean;
}

export interface RenderedPage {
  /** The DOM after scripts ran, serialised. */
  html: string;
  finalUrl: string;
  /** Status of the main document; null when the navigation had no response (same-document). */
  status: number | null;
}

interface PageDeps {
  log: Logger;
  lookup: HostLookup;
  /** Budget of the whole render when the caller sets none. */
  timeoutMs: number;
  /** Called for each aborted asset request. */
  onBlocked: () => void;
}

/** Renders `target` in a fresh context of `browser` and returns its DOM; the context is always closed. */
export async function renderPage(
  browser: Browser,
  target: URL,
  o: RenderOptions,
  deps: PageDeps,
): Promise<RenderedPage> {
  const timeoutMs = o.timeoutMs ?? deps.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  const extra = Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const context = await browser.newContext({
    userAgent: extra['user-agent'] ?? o.userAgent ?? DEFAULT_USER_AGENT,
    locale: 'zh-CN',
    serviceWorkers: 'block',
    acceptDownloads: false,
    viewport: { width: 1280, height: 900 },
  });
  let refused: FetchError | null = null;
  const hops: Promise<void>[] = [];
  const checked = new Map<string, Promise<void>>();
  const guard = (u: URL) => {
    if (o.allowPrivate) return Promise.resolve();
    if (!checked.has(u.host)) checked.set(u.host, assertPublicHost(u, deps.lookup));
    return checked.get(u.host)!;
  };
  const onRoute = async (route: Route) => {
    const req = route.request();
    const u = new URL(req.url());
    if (BLOCKED_TYPES.has(req.resourceType()) || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
      deps.onBlocked();
      return route.abort('blockedbyclient');
    }
    try {
      await guard(u);
    } catch (err) {
      // A refused sub-resource only goes missing; a refused page fails the render.
      if (req.isNavigationRequest() && req.frame().parentFrame() === null) refused ??= err as FetchError;
      deps.log.debug({ url: u.href, err }, 'browser request to a private address refused');
      return route.abort('addressunreachable');
    }
    const own = u.origin === target.origin && Object.keys(extra).length > 0;
    return route.continue(own ? { headers: { ...req.headers(), ...extra } } : undefined);
  };
  try {
    await context.route('**/*', (route) => onRoute(route).catch(() => undefined));
    const page = await context.newPage();
    // Playwright follows redirects without asking the route: check each hop here and refuse the page, whose
    // content could carry what the hop returned (the hop's request itself has already left).
    page.on('request', (req) => {
      if (req.redirectedFrom())
        hops.push(
          guard(new URL(req.url())).catch((err: unknown) => {
            refused ??= err as FetchError;
          }),
        );
    });
    const res = await page.goto(target.href, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    const status = res?.status() ?? null;
    await Promise.all(hops);
    if (refused) throw refused;
    if (status !== null && status >= 400) {
      throw new FetchError(`HTTP ${status} from ${page.url()}`, { url: page.url(), code: 'http_status', status });
    }
    const left = () => Math.max(1, deadline - Date.now());
    if (o.waitForSelector) await page.waitForSelector(o.waitForSelector, { state: 'attached', timeout: left() });
    // Pages that poll never go idle: what has rendered by the deadline is read anyway.
    else await page.waitForLoadState('networkidle', { timeout: left() }).catch(() => undefined);
    await Promise.all(hops);
    if (refused) throw refused;
    const html = await page.content();
    if (html.length > MAX_HTML_CHARS) {
      throw new FetchError(`rendered page ${target.href} is larger than ${MAX_HTML_CHARS} characters`, {
        url: target.href,
        code: 'too_large',
      });
    }
    return { html, finalUrl: page.url(), status };
  } catch (err) {
    throw refused ?? renderError(err, target.href, o.waitForSelector, timeoutMs, browser.isConnected());
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** `raw` as a URL the browser may open (http or https only), or a `FetchError` (`bad_url`). */
export function httpUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (err) {
    throw new FetchError(`not a valid URL: ${raw}`, { url: raw, code: 'bad_url', cause: err });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new FetchError(`only http(s) URLs can be rendered, got ${u.protocol} (${u.href})`, {
      url: raw,
      code: 'bad_url',
    });
  }
  return u;
}

function renderError(
  err: unknown,
  url: string,
  selector: string | undefined,
  timeoutMs: number,
  connected: boolean,
): Error {
  if (err instanceof FetchError || err instanceof CollectError) return err;
  if (err instanceof Error && err.name === 'TimeoutError') {
    const what = selector ? `"${selector}" did not appear` : 'the page did not load';
    return new FetchError(`timeout rendering ${url}: ${what} within ${timeoutMs} ms`, {
      url,
      code: 'timeout',
      cause: err,
    });
  }
  if (!connected) return new CollectError(`Chromium exited while rendering ${url}`, { cause: err });
  return new FetchError(`rendering ${url} failed: ${firstLine(err)}`, { url, code: 'network', cause: err });
}

/** The first line of an error's message (Playwright appends a multi-line call log). */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
