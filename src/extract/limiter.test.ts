import { describe, expect, it } from 'vitest';
import { RateLimiter } from './limiter.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('RateLimiter', () => {
  it('never has more than `concurrency` calls in flight', async () => {
    const l = new RateLimiter({ concurrency: 3, rpm: 0 });
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        l.run(async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await tick();
          inFlight--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(l.inFlight).toBe(0);
  });

  it('starts at most `rpm` calls per rolling minute, waiting for the window to move', async () => {
    let t = 0;
    const waits: number[] = [];
    const l = new RateLimiter({
      concurrency: 10,
      rpm: 2,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        await tick();
        t += ms;
      },
    });
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, () =>
        l.run(async () => {
          started.push(t);
        }),
      ),
    );
    expect(started).toEqual([0, 0, 60_000, 60_000, 120_000]);
    expect(waits.every((w) => w > 0)).toBe(true);
  });

  it('frees the slot when the call throws', async () => {
    const l = new RateLimiter({ concurrency: 1, rpm: 0 });
    await expect(
      l.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(l.run(async () => 'ok')).resolves.toBe('ok');
  });
});
