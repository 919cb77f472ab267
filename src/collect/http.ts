/**
 * The one HTTP layer of the collectors, on undici: conditional GET, size caps (before and after
 * decompression), timeouts, redirects followed hop by hop (each hop checked), retries with jittered
 * backoff and Retry-After. Errors are `FetchError`s an operator can read.
 */
import { isIP } from 'node:net';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { constants as zc, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from '../log.ts';
import { systemLookup, vettedAddress } from './address-guard.ts';
import type { HostLookup } from './address-guard.ts';
import { byteLimit } from './byte-limit.ts';
import { FetchError } from './errors.ts';
import type { HostLimiter } from './host-limit.ts';

/** Sent when neither the source nor the caller sets a User-Agent. */
export const DEFAULT_USER_AGENT = 'finrep/0.1 (+https://github.com/finrep)';

export interface FetchOptions {
  /** Validators from the previous fetch: sent as If-None-Match / If-Modified-Since. */
  etag?: string | null;
  lastModified?: string | null;
  /** Per-source extra headers (they win over ours). */
  headers?: Record<string, string>;
  /** @defaultValue DEFAULT_USER_AGENT */
  userAgent?: string;
  /** @defaultValue a browser-like Accept */
  accept?: string;
  /** Allow loopback/private/link-local targets (the demo world, tests). @defaultValue false */
  allowPrivate?: boolean;
  /** Cap on the body, counted both as received and after decompression. @defaultValue 15 MB */
  maxBytes?: number;
  /** Overall budget of one attempt (every redirect hop and the body). @defaultValue 30 000 */
  timeoutMs?: number;
  /** @defaultValue 15 000 */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams. @defaultValue 15 000 */
  bodyTimeoutMs?: number;
  /** @defaultValue 5 */
  maxRedirects?: number;
  /** Extra attempts after a network error, a 5xx or a 429 (timeouts are not retried). @defaultValue 2 */
  retries?: number;
  /** Base of the exponential backoff (jittered ×0.5–1.5). @defaultValue 500 */
  retryDelayMs?: number;
  /** A longer Retry-After than this gives up instead of waiting. @defaultValue 30 000 */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
}

export interface FetchResponse {
  status: number;
  /** Final URL, after redirects. */
  url: string;
  /** Response headers, lower-case names, repeated ones joined with ", ". */
  headers: Record<string, string>;
  /** Decoded (decompressed) body; empty when `notModified`. */
  body: Buffer;
  notModified: boolean;
}

export interface FetchDeps {
  log?: Logger;
  /** Waits between retries (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  /** DNS for the private-address check; the request connects to the address it checked. */
  lookup?: HostLookup;
  /** undici dispatcher (connection pools, per-host limits); the global one by default. */
  dispatcher?: Dispatcher;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /**
   * Per-host concurrency, shared by every fetch of a run. Each redirect hop holds a slot of its own host (a
   * hop to the same host keeps the slot; a hop to another host gives it up before waiting for the next one,
   * so two fetches redirecting across each other's hosts cannot deadlock); the final hop holds its slot
   * until the body is read. Waiting for a slot does not count against `timeoutMs`.
   */
  hostLimiter?: HostLimiter;
}

/** What `fetchUrl` needs from its caller; the collectors take a function of this shape. */
export type Fetcher = (url: string, opts: FetchOptions) => Promise<FetchResponse>;

const DEFAULTS = {
  maxBytes: 15 * 1024 * 1024,
  timeoutMs: 30_000,
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 15_000,
  maxRedirects: 5,
  retries: 2,
  retryDelayMs: 500,
  maxRetryAfterMs: 30_000,
};
const ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,application/atom+xml,*/*;q=0.8';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type Resolved = FetchOptions & typeof DEFAULTS;

/**
 * GETs `url` and returns the decoded body, or throws a `FetchError`.
 *
 * @example const res = await fetchUrl(source.url, { etag: source.etag, allowPrivate: source.allowPrivate });
 */
export async function fetchUrl(url: string, opts: FetchOptions = {}, deps: FetchDeps = {}): Promise<FetchResponse> {
  const o: Resolved = { ...DEFAULTS, ...stripUndefined(opts) };
  const sleep = deps.sleep ?? ((ms: number) => delay(ms, undefined, { signal: o.signal }));
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(url, o, deps);
    } catch (err) {
      if (o.signal?.aborted) throw abortedError(url, o.signal, err);
      const wait = retryDelay(err, attempt, o, deps.random ?? Math.random);
      if (wait === null) throw err;
      deps.log?.warn({ url, attempt: attempt + 1, delay_ms: Math.round(wait), err }, 'fetch failed, retrying');
      await sleep(wait).catch((e: unknown) => {
        throw o.signal?.aborted ? abortedError(url, o.signal, e) : e;
      });
    }
  }
}

/** The fetch was stopped by the caller's signal (a source's time budget): not retried, the reason said once. */
function abortedError(url: string, signal: AbortSignal, cause: unknown): FetchError {
  if (cause instanceof FetchError && cause.code === 'aborted') return cause;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new FetchError(`stopped fetching ${url}: ${reason}`, { url, code: 'aborted' });
}

async function fetchOnce(url: string, o: Resolved, deps: FetchDeps): Promise<FetchResponse> {
  const budget = attemptBudget(o.timeoutMs);
  const slots = hopSlots(deps.hostLimiter, budget, o.signal);
  try {
    return await followHops(url, o, deps, budget.signal, slots);
  } finally {
    slots.release();
    budget.stop();
  }
}

async function followHops(
  url: string,
  o: Resolved,
  deps: FetchDeps,
  timeout: AbortSignal,
  slots: HopSlots,
): Promise<FetchResponse> {
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  const first = parseHttpUrl(url, url);
  let current = first;
  for (let hop = 0; ; hop++) {
    await slots.enter(current.hostname);
    // Resolved and checked once; the connection goes to that address (no second DNS answer to rebind).
    const address = o.allowPrivate ? null : await vettedAddress(current, deps.lookup ?? systemLookup);
    let res: Dispatcher.ResponseData;
    try {
      const headers = requestHeaders(o, current.origin === first.origin);
      res = await request(address ? pinned(current, address) : current, {
        method: 'GET',
        signal,
        headers: address ? { ...headers, host: current.host } : headers,
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        dispatcher: deps.dispatcher,
      });
    } catch (err) {
      throw toFetchError(err, current.href, timeout, o);
    }
    const headers = flattenHeaders(res.headers);
    const status = res.statusCode;
    if (REDIRECTS.has(status) && headers.location) {
      await res.body.dump().catch(() => undefined);
      if (hop >= o.maxRedirects) {
        throw new FetchError(`too many redirects (more than ${o.maxRedirects}) starting at ${url}`, {
          url,
          code: 'too_many_redirects',
          status,
        });
      }
      current = parseHttpUrl(headers.location, current.href, current);
      continue;
    }
    const base = { status, url: current.href, headers };
    if (status === 304) {
      await res.body.dump().catch(() => undefined);
      return { ...base, body: Buffer.alloc(0), notModified: true };
    }
    if (status >= 400) {
      await res.body.dump().catch(() => undefined);
      const retryAfterMs = parseRetryAfter(headers['retry-after']);
      const asked = retryAfterMs === undefined ? '' : ` (Retry-After ${Math.round(retryAfterMs / 1000)} s)`;
      throw new FetchError(`HTTP ${status} from ${current.href}${asked}`, {
        url: current.href,
        code: 'http_status',
        status,
        retryAfterMs,
      });
    }
    const body = await readBody(res.body, headers, o, current.href, timeout);
    return { ...base, body, notModified: false };
  }
}

/** An attempt's time budget: a timer that stands still while the attempt waits for a host slot. */
interface AttemptBudget {
  signal: AbortSignal;
  pause(): void;
  resume(): void;
  stop(): void;
}

function attemptBudget(ms: number): AttemptBudget {
  const controller = new AbortController();
  let left = ms;
  let since = 0;
  let timer: NodeJS.Timeout | undefined;
  const pause = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    left -= performance.now() - since;
  };
  return {
    signal: controller.signal,
    pause,
    resume() {
      if (timer !== undefined || controller.signal.aborted) return;
      since = performance.now();
      timer = setTimeout(
        () => controller.abort(new DOMException(`no complete response within ${ms} ms`, 'TimeoutError')),
        Math.max(0, left),
      );
      timer.unref(); // like AbortSignal.timeout: the request in flight keeps the process alive, not the timer
    },
    stop: pause,
  };
}

/** The host slot a request holds hop by hop. */
interface HopSlots {
  enter(hostname: string): Promise<void>;
  release(): void;
}

function hopSlots(limiter: HostLimiter | undefined, budget: AttemptBudget, signal?: AbortSignal): HopSlots {
  let held: { host: string; release: () => void } | null = null;
  return {
    async enter(hostname) {
      const host = hostname.toLowerCase();
      if (!limiter || held?.host === host) return budget.resume();
      // Give up the previous hop's host before waiting for the next one: never hold one slot while waiting.
      held?.release();
      held = null;
      budget.pause();
      held = { host, release: await limiter.acquire(host, signal) };
      budget.resume();
    },
    release() {
      held?.release();
      held = null;
    },
  };
}

/** `url` with its host replaced by `address` (the Host header, and so TLS's server name, keep the name). */
function pinned(url: URL, address: string): URL {
  const u = new URL(url);
  u.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return u;
}

function parseHttpUrl(raw: string, reported: string, base?: URL): URL {
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch (err) {
    throw new FetchError(`not a valid URL: ${raw}`, { url: reported, code: 'bad_url', cause: err });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new FetchError(`only http(s) URLs can be fetched, got ${u.protocol} (${u.href})`, {
      url: reported,
      code: 'bad_url',
    });
  }
  u.hash = '';
  return u;
}

function requestHeaders(o: Resolved, sameOrigin: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'user-agent': o.userAgent ?? DEFAULT_USER_AGENT,
    accept: o.accept ?? ACCEPT,
    'accept-encoding': 'gzip, deflate, br',
    'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8',
  };
  if (o.etag) h['if-none-match'] = o.etag;
  if (o.lastModified) h['if-modified-since'] = o.lastModified;
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    const key = k.toLowerCase();
    // Credentials configured for a source never follow a redirect to another origin.
    if (!sameOrigin && (key === 'authorization' || key === 'cookie')) continue;
    h[key] = v;
  }
  return h;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readBody(
  body: Dispatcher.ResponseData['body'],
  headers: Record<string, string>,
  o: Resolved,
  url: string,
  timeout: AbortSignal,
): Promise<Buffer> {
  const tooLarge = () =>
    new FetchError(`response from ${url} is larger than the ${o.maxBytes}-byte limit`, { url, code: 'too_large' });
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > o.maxBytes) {
    body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > o.maxBytes) return cb(tooLarge());
      chunks.push(chunk);
      cb();
    },
  });
  try {
    const decoders = contentDecoders(headers['content-encoding'], url);
    await pipeline([body, byteLimit(o.maxBytes, tooLarge), ...decoders, sink]);
  } catch (err) {
    throw toFetchError(err, url, timeout, o);
  }
  return Buffer.concat(chunks, size);
}

/** Decoders for a Content-Encoding list, in the order they must run (the last applied comes off first). */
function contentDecoders(encoding: string | undefined, url: string): Transform[] {
  const names = (encoding ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'identity');
  return names.reverse().map((name) => {
    // Sync flush tolerates truncated streams, as browsers do.
    if (name === 'gzip' || name === 'x-gzip') return createGunzip({ finishFlush: zc.Z_SYNC_FLUSH });
    if (name === 'deflate') return createInflate({ finishFlush: zc.Z_SYNC_FLUSH });
    if (name === 'br') return createBrotliDecompress({ finishFlush: zc.BROTLI_OPERATION_FLUSH });
    throw new FetchError(`unsupported Content-Encoding "${name}" from ${url}`, { url, code: 'network' });
  });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function toFetchError(err: unknown, url: string, timeout: AbortSignal, o: Resolved): FetchError {
  if (err instanceof FetchError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (timeout.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    const what =
      code === 'UND_ERR_HEADERS_TIMEOUT'
        ? `no response headers within ${o.headersTimeoutMs} ms`
        : code === 'UND_ERR_BODY_TIMEOUT'
          ? `body stalled for ${o.bodyTimeoutMs} ms`
          : `no complete response within ${o.timeoutMs} ms`;
    // Our own budget's abort reason says what `what` says: a cause would only repeat it in the log line.
    return new FetchError(`timeout fetching ${url}: ${what}`, {
      url,
      code: 'timeout',
      cause: timeout.aborted ? undefined : err,
    });
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new FetchError(`corrupt compressed body from ${url}`, { url, code: 'network', cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new FetchError(`GET ${url} failed: ${reason}${typeof code === 'string' ? ` (${code})` : ''}`, {
    url,
    code: 'network',
    cause: err,
  });
}

/** Milliseconds to wait before the next attempt, or null to give up. */
function retryDelay(err: unknown, attempt: number, o: Resolved, random: () => number): number | null {
  if (!(err instanceof FetchError) || attempt >= o.retries) return null;
  const backoff = o.retryDelayMs * 2 ** attempt * (0.5 + random());
  if (err.code === 'network') return backoff;
  if (err.code !== 'http_status' || err.status === undefined) return null;
  if (err.status !== 429 && err.status < 500) return null;
  if (err.retryAfterMs === undefined) return backoff;
  return err.retryAfterMs > o.maxRetryAfterMs ? null : err.retryAfterMs;
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
