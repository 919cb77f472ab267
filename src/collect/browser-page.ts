/**
 * One page rendered in its own browser context: assets blocked, every request sent through a proxy of this
 * render that connects only to addresses it checked (the same rule as the HTTP layer), source headers sent
 * to the page's own origin only, and Playwright's errors turned into the `FetchError`s the rest of the
 * collect stage already understands.
 */
import type { Browser, Route } from 'playwright-core';
import type { Logger } from '../log.ts';
import type { HostLookup } from './address-guard.ts';
import { PROXY_FAILURE_HEADER, startRenderProxy } from './browser-proxy.ts';
import type { Dial, RenderProxy } from './browser-proxy.ts';
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
  /** Where the proxy connects for a checked address (tests). */
  dial?: Dial;
}

/**
 * Renders `target` in a fresh context of `browser`, through a proxy of its own, and returns its DOM; the
 * context and the proxy (with every connection it holds) are always closed.
 */
export async function renderPage(
  browser: Browser,
  target: URL,
  o: RenderOptions,
  deps: PageDeps,
): Promise<RenderedPage> {
  const extra = Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const proxy = await startRenderProxy({
    lookup: deps.lookup,
    allowPrivate: o.allowPrivate ?? false,
    dial: deps.dial,
    log: deps.log,
  });
  try {
    return await renderThrough(proxy, browser, target, o, deps, extra);
  } finally {
    await proxy.close();
  }
}

async function renderThrough(
  proxy: RenderProxy,
  browser: Browser,
  target: URL,
  o: RenderOptions,
  deps: PageDeps,
  extra: Record<string, string>,
): Promise<RenderedPage> {
  const timeoutMs = o.timeoutMs ?? deps.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  const context = await browser.newContext({
    userAgent: extra['user-agent'] ?? o.userAgent ?? DEFAULT_USER_AGENT,
    locale: 'zh-CN',
    serviceWorkers: 'block',
    acceptDownloads: false,
    viewport: { width: 1280, height: 900 },
    // Loopback too (Playwright adds `<-loopback>` to the bypass list): Chromium never connects by itself.
    proxy: { server: proxy.server },
  });
  let refused: FetchError | null = null;
  const hops: Promise<void>[] = [];
  const navigations: URL[] = [];
  /** The proxy's refusal or failure of a main-frame navigation (the page itself, or a redirect hop). */
  const navigationFailure = () => navigations.map((u) => proxy.failure(u)).find((f) => f !== undefined) ?? null;
  const guard = (u: URL) => (o.allowPrivate ? Promise.resolve() : proxy.check(u));
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
    // Playwright follows redirects without asking the route: the proxy refuses a hop to a private address
    // before it leaves; the hop is checked here too, to fail the render with the reason.
    page.on('request', (req) => {
      if (req.isNavigationRequest() && req.frame() === page.mainFrame()) navigations.push(new URL(req.url()));
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
    if (res?.headers()[PROXY_FAILURE_HEADER]) throw navigationFailure() ?? proxyFailed(target.href, status);
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
    throw (
      refused ??
      (err instanceof FetchError ? null : navigationFailure()) ??
      renderError(err, target.href, o.waitForSelector, timeoutMs, browser.isConnected())
    );
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** The proxy answered for the page but its reason is gone (it is recorded per host and port). */
function proxyFailed(url: string, status: number | null): FetchError {
  return new FetchError(`rendering ${url} failed: the proxy could not fetch it (HTTP ${status})`, {
    url,
    code: 'network',
  });
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
