import { Redis } from 'ioredis';
import { redisOptions } from '../config/redis-url.ts';
import type { Logger } from '../log.ts';
import { MailError } from './mailer.ts';

/** Paces sends: each `acquire()` resolves at the caller's send slot. */
export interface RateLimiter {
  readonly kind: 'local' | 'redis';
  /** Waits for the next free slot; rejects with a `MailError` (code `ERATELIMIT`) when the shared limiter is unreachable. */
  acquire(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * GCRA as a reservation: the theoretical arrival time (TAT) of the next slot is kept in one key; a caller
 * takes the slot `max(TAT, now)`, moves TAT one interval on, and learns how long to wait. One round trip,
 * the Redis server's clock for everyone (so clock skew between worker machines does not matter), no burst:
 * slots are evenly spaced, which is what an SMTP provider's per-second limit means.
 * KEYS[1] the limiter key; ARGV[1] the interval between slots in microseconds. Returns the wait in µs.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
return math.floor(tat - now)
`;

/** Messages in flight for a rate: one connection per 4 msg/s (a provider answers in ~100–250 ms), at most 5. */
export function defaultConcurrency(ratePerSec: number): number {
  return Math.min(5, Math.max(1, Math.ceil(ratePerSec / 4)));
}

/** The default Redis key of the mail rate limiter: one limit for every finrep worker using that Redis. */
export const RATE_LIMIT_KEY = 'finrep:mail:rate';

/**
 * A limiter for this process only (embedded mode, or no Redis): evenly spaced slots, `ratePerSec` per second.
 *
 * @example
 * const limiter = createLocalRateLimiter(20);
 * await limiter.acquire(); // immediately; the next call waits 50 ms
 */
export function createLocalRateLimiter(ratePerSec: number, now: () => number = () => performance.now()): RateLimiter {
  const interval = 1000 / ratePerSec;
  let tat = 0;
  return {
    kind: 'local',
    async acquire() {
      const t = now();
      const slot = Math.max(tat, t);
      tat = slot + interval;
      if (slot > t) await sleep(slot - t);
    },
    async close() {},
  };
}

/**
 * A limiter shared by every process that uses the same Redis and key: `ratePerSec` in total, however many
 * workers send (GCRA in a Lua script, see above).
 *
 * @example
 * const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:6379', ratePerSec: 20, log });
 * await limiter.acquire();
 */
export function createRedisRateLimiter(opts: {
  url: string;
  ratePerSec: number;
  log: Logger;
  key?: string;
}): RateLimiter {
  const key = opts.key ?? RATE_LIMIT_KEY;
  const intervalUs = Math.round(1_000_000 / opts.ratePerSec);
  const redis = new Redis(redisOptions(opts.url, { maxRetriesPerRequest: 2, connectTimeout: 5000, lazyConnect: true }));
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned)
      opts.log.warn(
        { err: { message: err.message, code: (err as { code?: unknown }).code } },
        'rate limiter: Redis unavailable',
      );
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  return {
    kind: 'redis',
    async acquire() {
      let waitUs: number;
      try {
        if (redis.status === 'wait') await redis.connect();
        waitUs = Number(await redis.eval(RESERVE, 1, key, intervalUs));
      } catch (err) {
        throw new MailError(`rate limiter: Redis unavailable (${(err as Error).message})`, {
          code: 'ERATELIMIT',
          permanent: false,
          scope: 'mailer',
          cause: err,
        });
      }
      if (waitUs > 0) await sleep(waitUs / 1000);
    },
    async close() {
      if (redis.status === 'wait' || redis.status === 'end') {
        redis.disconnect();
        return;
      }
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Redis-backed (global) when `redisUrl` is set, per process otherwise. */
export function createRateLimiter(opts: {
  ratePerSec: number;
  redisUrl?: string | null;
  log: Logger;
  key?: string;
}): RateLimiter {
  return opts.redisUrl
    ? createRedisRateLimiter({
        url: opts.redisUrl,
        ratePerSec: opts.ratePerSec,
        log: opts.log,
        ...(opts.key !== undefined && { key: opts.key }),
      })
    : createLocalRateLimiter(opts.ratePerSec);
}
