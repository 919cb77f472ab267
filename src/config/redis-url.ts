/**
 * `REDIS_URL` in its two forms, turned into ioredis options in one place (every Redis client of finrep, from
 * the BullMQ workers to the web's rate limit, is built from {@link redisOptions}):
 *
 * - one server: `redis://[[user]:password@]host[:port][/db]`, `rediss://…` for TLS (a managed Redis);
 * - a Sentinel group: `redis+sentinel://[[user]:password@]host[:port][,host2[:port2]…]/primary-name[/db]`,
 *   `rediss+sentinel://…` for TLS to the sentinels and the data nodes. Sentinels default to port 26379; the
 *   user and password are the data nodes'; `?sentinel_username=…&sentinel_password=…` authenticate to the
 *   sentinels. This is the form of the Redis-Sentinel-Url package for redis-py, also read by Prefect/docket
 *   and RedisVL.
 *
 * Free of zod and ioredis at run time: `finrep health worker|beat` (a 30 s container probe) reads it too.
 */
import type { RedisOptions } from 'ioredis';

/** A `host:port` of a sentinel or server. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** Where finrep's Redis is: one server, or the sentinels that name the current primary. */
export type RedisTarget =
  | ({ kind: 'server' } & RedisAddress & RedisAuth)
  | ({
      kind: 'sentinel';
      sentinels: RedisAddress[];
      /** The primary's name in the sentinels' configuration (`sentinel monitor <name> …`). */
      name: string;
      sentinelUsername: string | null;
      sentinelPassword: string | null;
    } & RedisAuth);

interface RedisAuth {
  tls: boolean;
  username: string | null;
  password: string | null;
  db: number;
  /** IP family for the name lookup (`?family=4|6`), as ioredis reads it. */
  family: 4 | 6 | null;
}

/** A `REDIS_URL` finrep cannot use; the message says why and never contains the password. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/** The URL schemes {@link parseRedisUrl} accepts. */
export const REDIS_SCHEMES = ['redis:', 'rediss:', 'redis+sentinel:', 'rediss+sentinel:'] as const;

const SENTINEL_PORT = 26379;
const SENTINEL_FORM = /^(rediss?)\+sentinel:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i;

/**
 * Reads either form of `REDIS_URL`.
 * @example parseRedisUrl('redis+sentinel://:pw@s1,s2:26380/mymaster/2').sentinels // [{host:'s1',port:26379},…]
 */
export function parseRedisUrl(url: string): RedisTarget {
  const sentinel = SENTINEL_FORM.exec(url.trim());
  if (sentinel) return parseSentinel(sentinel);
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new RedisUrlError(`expected a URL (${REDIS_SCHEMES.join(', ')})`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new RedisUrlError(`expected a URL (${REDIS_SCHEMES.join(', ')}), got ${u.protocol}`);
  const params = options(u.searchParams, []);
  return {
    kind: 'server',
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === 'rediss:',
    username: u.username ? decode(u.username) : null,
    password: u.password ? decode(u.password) : null,
    db: database(u.pathname.slice(1)),
    family: params.family,
  };
}

function parseSentinel(m: RegExpExecArray): RedisTarget {
  const [, scheme, userinfo, hostList, path, query] = m;
  // An unencoded @ in the password would leave part of it in the host list (and in connection errors).
  if (hostList!.includes('@')) throw new RedisUrlError('an @ in the user or password must be written %40');
  const sentinels = hostList!.split(',').map((h) => address(h.trim()));
  if (!sentinels.length || sentinels.some((s) => !s.host))
    throw new RedisUrlError('the Sentinel form needs host[:port] of at least one sentinel');
  const [name, db, ...rest] = (path ?? '').split('/').slice(1);
  if (!name || rest.length)
    throw new RedisUrlError('the Sentinel form ends with the primary name: redis+sentinel://host:26379/mymaster[/db]');
  const colon = userinfo?.indexOf(':') ?? -1;
  const user = colon < 0 ? (userinfo ?? '') : userinfo!.slice(0, colon);
  const pass = colon < 0 ? '' : userinfo!.slice(colon + 1);
  const params = options(new URLSearchParams(query ?? ''), ['sentinel_username', 'sentinel_password']);
  return {
    kind: 'sentinel',
    sentinels,
    name: decode(name),
    tls: scheme!.toLowerCase() === 'rediss',
    username: user ? decode(user) : null,
    password: pass ? decode(pass) : null,
    db: database(db ?? ''),
    family: params.family,
    sentinelUsername: params.sentinel_username ?? null,
    sentinelPassword: params.sentinel_password ?? null,
  };
}

function address(hostPort: string): RedisAddress {
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  if (!m) throw new RedisUrlError(`cannot read the sentinel address ${JSON.stringify(hostPort)}`);
  const port = m[2] ? Number(m[2]) : SENTINEL_PORT;
  if (port < 1 || port > 65535) throw new RedisUrlError(`sentinel port out of range in ${JSON.stringify(hostPort)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function database(text: string): number {
  if (text === '') return 0;
  if (!/^\d{1,5}$/.test(text)) throw new RedisUrlError(`the database must be a number (got ${JSON.stringify(text)})`);
  return Number(text);
}

function options(params: URLSearchParams, allowed: string[]) {
  const out: { family: 4 | 6 | null; [k: string]: string | number | null } = { family: null };
  for (const [key, value] of params) {
    if (key === 'family' && (value === '4' || value === '6')) out.family = Number(value) as 4 | 6;
    else if (allowed.includes(key)) out[key] = value;
    else throw new RedisUrlError(`unknown option ${JSON.stringify(key)} (known: ${['family', ...allowed].join(', ')})`);
  }
  return out as { family: 4 | 6 | null; sentinel_username?: string; sentinel_password?: string };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RedisUrlError('a percent-encoded part of the URL is malformed');
  }
}

/**
 * The ioredis options for `url`, with a client's own tuning (`maxRetriesPerRequest`, timeouts, …) on top.
 * With the Sentinel form, ioredis asks the sentinels for the primary and follows it through a failover.
 * @example new Redis(redisOptions(config.redisUrl, { maxRetriesPerRequest: null }))
 */
export function redisOptions(url: string, tuning: RedisOptions = {}): RedisOptions {
  const t = parseRedisUrl(url);
  const common: RedisOptions = {
    db: t.db,
    ...(t.username && { username: t.username }),
    ...(t.password && { password: t.password }),
    ...(t.family && { family: t.family }),
    ...(t.tls && { tls: {} }),
  };
  if (t.kind === 'server') return { ...common, host: t.host, port: t.port, ...tuning };
  return {
    ...common,
    sentinels: t.sentinels,
    name: t.name,
    ...(t.sentinelUsername && { sentinelUsername: t.sentinelUsername }),
    ...(t.sentinelPassword && { sentinelPassword: t.sentinelPassword }),
    ...(t.tls && { sentinelTLS: {}, enableTLSForSentinelMode: true }),
    // A command waiting out a failover fails after this long rather than hanging on a dead sentinel.
    sentinelCommandTimeout: 5000,
    ...tuning,
  };
}

/**
 * `url` for a log line or an error: the password and the sentinels' password masked. Never throws.
 * @example redactRedisUrl('redis+sentinel://:pw@s1:26379/mymaster?sentinel_password=x')
 * // 'redis+sentinel://:***@s1:26379/mymaster?sentinel_password=***'
 */
export function redactRedisUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@')
    .replace(/([?&]sentinel_password=)[^&#]*/gi, '$1***');
}

/** The secrets inside `url` (its passwords, decoded), for redaction of text that may quote them. */
export function redisUrlSecrets(url: string): string[] {
  try {
    const t = parseRedisUrl(url);
    return [t.password, t.kind === 'sentinel' ? t.sentinelPassword : null].filter((s): s is string => !!s);
  } catch {
    return [];
  }
}
