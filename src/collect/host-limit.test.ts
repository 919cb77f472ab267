/** The per-host limiter, alone and inside `fetchUrl`, counted server-side on two real loopback hosts. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostLimiter } from './host-limit.ts';
import { fetchUrl } from './http.ts';

const LATENCY_MS = 150;

/** A slow server on `host` that records how many requests it is answering at once. */
async function slowServer(host: string, shared: { now: number; peak: number }) {
  const stats = { now: 0, peak: 0, served: 0 };
  const server: Server = createServer((_req, res) => {
    stats.peak = Math.max(stats.peak, ++stats.now);
    shared.peak = Math.max(shared.peak, ++shared.now);
    setTimeout(() => {
      stats.now--;
      shared.now--;
      stats.served++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }, LATENCY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { stats, url: (p: string) => `http://${host}:${port}${p}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('createHostLimiter', () => {
  it('runs at most N per key, in order, and other keys independently', async () => {
    const limiter = createHostLimiter(2);
    const order: string[] = [];
    const job = (key: string, id: string) => limiter.run(key, async () => {
      order.push(`${id}:${limiter.inFlight(key)}`);
      await delay(20);
    });
    await Promise.all([job('a', 'a1'), job('a', 'a2'), job('a', 'a3'), job('B', 'b1')]);
    expect(order.filter((o) => o.startsWith('a'))).toEqual(['a1:2', 'a2:2', 'a3:2']); // never a third slot
    expect(order.indexOf('b1:1')).toBeLessThan(order.indexOf('a3:2')); // b never queued behind a
    expect(limiter.inFlight('a')).toBe(0);
  });

  it('releases the slot when the work throws, and lets an aborted waiter leave the queue', async () => {
    const limiter = createHostLimiter(1);
    await expect(limiter.run('h', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const gate = limiter.run('h', () => delay(50));
    const ac = new AbortController();
    const waiting = limiter.run('h', () => Promise.resolve('ran'), ac.signal);
    ac.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    await gate;
    await expect(limiter.run('h', () => Promise.resolve('next'))).resolves.toBe('next');
    expect(limiter.inFlight('h')).toBe(0);
  });
});

describe('fetchUrl with a shared host limiter', () => {
  const shared = { now: 0, peak: 0 };
  let one: Awaited<ReturnType<typeof slowServer>>;
  let two: Awaited<ReturnType<typeof slowServer>>;
  beforeAll(async () => {
    one = await slowServer('127.0.0.1', shared);
    two = await slowServer('127.0.0.2', shared);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  it('never has more than 2 requests in flight to one host', async () => {
    const limiter = createHostLimiter(2);
    one.stats.peak = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => fetchUrl(one.url(`/a/${i}`), { allowPrivate: true }, { hostLimiter: limiter })));
    const elapsed = performance.now() - t0;
    expect(one.stats.peak).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(3 * LATENCY_MS - 20); // three waves of two
  });

  it('lets two hosts proceed independently', async () => {
    const limiter = createHostLimiter(2);
    one.stats.peak = 0;
    two.stats.peak = 0;
    shared.peak = 0;
    const urls = [0, 1, 2, 3].flatMap((i) => [one.url(`/b/${i}`), two.url(`/b/${i}`)]);
    const t0 = performance.now();
    await Promise.all(urls.map((u) => fetchUrl(u, { allowPrivate: true }, { hostLimiter: limiter })));
    const elapsed = performance.now() - t0;
    expect([one.stats.peak, two.stats.peak]).toEqual([2, 2]);
    expect(shared.peak).toBe(4); // both hosts busy at the same time
    expect(elapsed).toBeLessThan(4 * LATENCY_MS); // two waves, not four
  });

  it('does not count the wait for a slot against the attempt timeout', async () => {
    const limiter = createHostLimiter(1);
    const fetches = [0, 1, 2].map((i) => fetchUrl(one.url(`/c/${i}`), { allowPrivate: true, timeoutMs: LATENCY_MS + 200 }, { hostLimiter: limiter }));
    const results = await Promise.all(fetches);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});
