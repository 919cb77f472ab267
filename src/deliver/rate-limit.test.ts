import { describe, expect, it } from 'vitest';
import { createLocalRateLimiter, defaultConcurrency } from './rate-limit.ts';

describe('createLocalRateLimiter', () => {
  it('spaces slots evenly at the rate, the first one at once', async () => {
    const limiter = createLocalRateLimiter(50);
    const started = performance.now();
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 26 }, async () => {
        await limiter.acquire();
        at.push(performance.now() - started);
      }),
    );
    at.sort((a, b) => a - b);
    expect(at[0]).toBeLessThan(15);
    const rate = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
    expect(rate).toBeGreaterThan(40);
    expect(rate).toBeLessThan(52);
  });

  it('does not save up slots while idle (no burst after a pause)', async () => {
    let now = 0;
    const limiter = createLocalRateLimiter(10, () => now);
    await limiter.acquire();
    now = 5000;
    const t0 = performance.now();
    await limiter.acquire(); // at once: the pause does not count as credit…
    const p = limiter.acquire(); // …and the next one waits a full interval (100 ms of the fake clock)
    now = 5100;
    await p;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });
});

describe('defaultConcurrency', () => {
  it.each([
    { rate: 1, n: 1 },
    { rate: 4, n: 1 },
    { rate: 5, n: 2 },
    { rate: 20, n: 5 },
    { rate: 500, n: 5 },
  ])('$rate/s → $n', ({ rate, n }) => {
    expect(defaultConcurrency(rate)).toBe(n);
  });
});
