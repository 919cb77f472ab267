import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../src/deliver/rate-limit.ts';
import { silentLogger } from '../src/log.ts';
import { redisUrlFor } from './helpers/workers.ts';

const REDIS_URL = process.env.FINREP_TEST_REDIS_URL ?? redisUrlFor(9);
const log = silentLogger();

describe('the Redis rate limiter (shared by every worker)', () => {
  it('holds the total rate across limiters that share a key, as separate processes do', async () => {
    const key = `finrep:test:rate:${randomBytes(4).toString('hex')}`;
    const limiters = [0, 1, 2].map(() => createRedisRateLimiter({ url: REDIS_URL, ratePerSec: 40, log, key }));
    try {
      const at: number[] = [];
      await Promise.all(
        limiters.map(async (l) => {
          for (let i = 0; i < 20; i++) {
            await l.acquire();
            at.push(performance.now());
          }
        }),
      );
      at.sort((a, b) => a - b);
      const rate = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
      // Never above the shared limit; how close to it is measured by `npm run bench:mail`, not asserted here.
      expect(rate).toBeLessThan(44);
    } finally {
      await Promise.all(limiters.map((l) => l.close()));
    }
  });

  it('rejects with a transport-level MailError when Redis cannot be reached', async () => {
    const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1/0', ratePerSec: 10, log });
    try {
      await expect(limiter.acquire()).rejects.toMatchObject({
        name: 'MailError',
        code: 'ERATELIMIT',
        permanent: false,
        scope: 'mailer',
      });
    } finally {
      await limiter.close();
    }
  });
});
