/**
 * The one HTTP call of the chat platforms: POST a JSON body with a timeout, and sort what went wrong on
 * the wire into the {@link ChannelError} kinds. A failure to connect (refused, no such host) means nothing
 * was sent: transient. Anything after the connection was made (a reset, a timeout, the caller's abort)
 * may have reached the platform: uncertain. Errors name the channel and the URL's host, never the URL
 * (its path or query carries the robot's token) nor the secret.
 */
import { Agent, fetch } from 'undici';
import { ChannelError } from '../types.ts';
import type { ChannelTarget } from '../types.ts';

/**
 * A fresh connection per message (`pipelining: 0` turns keep-alive off): a pooled socket the platform
 * closed while idle would fail a POST after it was written, and a reset after the write reads as
 * uncertain. Chat messages are few; a handshake each costs nothing that matters.
 */
const dispatcher = new Agent({ pipelining: 0, connect: { timeout: 10_000 } });

/** @defaultValue 10 s */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** A reply as the platform gave it. */
export interface HttpReply {
  status: number;
  headers: Headers;
  /** The body, at most 64 KiB of it. */
  text: string;
  /** The body parsed as JSON, or null. */
  json: unknown;
}

/** Error codes of a connection that never opened: the request was not sent. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);

/** `host[:port]` of a URL, for messages; `invalid URL` when it does not parse. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}

/** `channel "name" (host)`: how every error names its channel. */
export function where(target: Pick<ChannelTarget, 'name' | 'url'>): string {
  return `channel "${target.name}" (${urlHost(target.url)})`;
}

/** The first error code found along an error's `cause` chain. */
function errorCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * POSTs `body` as JSON to `url` and returns the reply whatever its status; throws a {@link ChannelError}
 * only for a failure on the wire (transient when the connection never opened, uncertain otherwise).
 */
export async function postJson(
  target: Pick<ChannelTarget, 'name' | 'url'>,
  url: string,
  body: unknown,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<HttpReply> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
      body: JSON.stringify(body),
      signal,
      redirect: 'error',
      dispatcher,
    });
    const text = (await res.text()).slice(0, 65_536);
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers as unknown as Headers, text, json };
  } catch (err) {
    const code = errorCode(err);
    if (code && NOT_CONNECTED.has(code)) {
      throw new ChannelError(`${where(target)}: cannot connect (${code})`, { code: 'connect', cause: safeCause(err) });
    }
    if (timeout.aborted) {
      throw new ChannelError(`${where(target)}: no reply within ${timeoutMs} ms; the message may have been posted`, {
        code: 'timeout',
        uncertain: true,
      });
    }
    if (opts.signal?.aborted) {
      throw new ChannelError(`${where(target)}: aborted while sending; the message may have been posted`, {
        code: 'aborted',
        uncertain: true,
      });
    }
    throw new ChannelError(
      `${where(target)}: connection lost before the reply (${code ?? 'network error'}); the message may have been posted`,
      { code: 'network', uncertain: true, cause: safeCause(err) },
    );
  }
}

/** A cause without the URL: undici's messages can quote it, so only the code and the class are kept. */
function safeCause(err: unknown): Error {
  const code = errorCode(err) ?? 'unknown';
  const e = new Error(`${(err as Error)?.name ?? 'Error'} ${code}`);
  (e as Error & { code: string }).code = code;
  return e;
}

/** The reply trimmed for the log. */
export function trimReply(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date), or null. */
export function retryAfterHeader(value: string | null, now: Date): number | null {
  if (!value) return null;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/**
 * A reply the platform's JSON did not accept, sorted by HTTP status when the platform has no better
 * signal: 429 wait, 5xx transient, other 4xx permanent.
 */
export function errorFromStatus(
  target: Pick<ChannelTarget, 'name' | 'url'>,
  reply: HttpReply,
  now: Date,
  fallbackRetryMs: number,
): ChannelError {
  const common = { status: reply.status, reply: trimReply(reply.text) };
  if (reply.status === 429) {
    const retryAfterMs = retryAfterHeader(reply.headers.get('retry-after'), now) ?? fallbackRetryMs;
    return new ChannelError(`${where(target)}: rate limited (HTTP 429), retry in ${retryAfterMs} ms`, {
      code: 'rate_limited',
      retryAfterMs,
      ...common,
    });
  }
  if (reply.status >= 500) {
    return new ChannelError(`${where(target)}: HTTP ${reply.status}`, { code: `http_${reply.status}`, ...common });
  }
  return new ChannelError(`${where(target)}: refused with HTTP ${reply.status}`, {
    code: `http_${reply.status}`,
    permanent: true,
    ...common,
  });
}
