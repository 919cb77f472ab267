/** The per-host limiter, alone and inside `fetchUrl`, counted server-side on two real loopback hosts. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostLimiter } from './host-limit.ts';
import { fetchUrl } from './http.ts';

const LATENCY_MS = 150;

/**
 * A slow server on `host` that records how many requests it is answering at once; `/to/<url>` redirects
 * there (after the same latency).
 */
async function slowServer(host: string, shared: { now: number; peak: number }) {
  const stats = { now: 0, peak: 0, served: 0 };
  const server: Server = createServer((req, res) => {
    const redirect = /^\/to\/(.+)$/.exec(req.url ?? '')?.[1];
    stats.peak = Math.max(stats.peak, ++stats.now);
    shared.peak = Math.max(shared.peak, ++shared.now);
    setTimeout(() => {
      stats.now--;
      shared.now--;
      stats.served++;
      if (redirect) res.writeHead(302, { location: decodeURIComponent(redirect) }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }, LATENCY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    stats,
    url: (p: string) => `http://${host}:${port}${p}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('createHostLimiter', () => {
  it('runs at most N per key, in order, and other keys independently', async () => {
    const limiter = createHostLimiter(2);
    const order: string[] = [];
    const job = (key: string, id: string) =>
      limiter.run(key, async () => {
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
  let three: Awaited<ReturnType<typeof slowServer>>;
  beforeAll(async () => {
    one = await slowServer('127.0.0.1', shared);
    two = await slowServer('127.0.0.2', shared);
    three = await slowServer('127.0.0.3', shared);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await three?.close();
  });
  const via = (server: typeof one, target: string) => server.url(`/to/${encodeURIComponent(target)}`);

  it('never has more than 2 requests in flight to one host', async () => {
    const limiter = createHostLimiter(2);
    one.stats.peak = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fetchUrl(one.url(`/a/${i}`), { allowPrivate: true }, { hostLimiter: limiter }),
      ),
    );
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
    const fetches = [0, 1, 2].map((i) =>
      fetchUrl(one.url(`/c/${i}`), { allowPrivate: true, timeoutMs: LATENCY_MS + 200 }, { hostLimiter: limiter }),
    );
    const results = await Promise.all(fetches);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('holds a slot of the host a redirect leads to, for that hop', async () => {
    const limiter = createHostLimiter(2);
    for (const server of [one, two, three]) server.stats.peak = 0;
    // Six fetches starting on two other hosts, all redirected to host three: at most two there at once.
    const urls = [0, 1, 2, 3, 4, 5].map((i) => via(i % 2 ? one : two, three.url(`/d/${i}`)));
    const t0 = performance.now();
    const results = await Promise.all(urls.map((u) => fetchUrl(u, { allowPrivate: true }, { hostLimiter: limiter })));
    expect(results.map((r) => r.url)).toEqual([0, 1, 2, 3, 4, 5].map((i) => three.url(`/d/${i}`)));
    expect(three.stats.peak).toBe(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4 * LATENCY_MS - 20); // one wave of redirects, three of two
    expect([one, two, three].map((s) => limiter.inFlight(new URL(s.url('/')).hostname))).toEqual([0, 0, 0]);
  });

  it("does not deadlock when fetches redirect across each other's hosts", async () => {
    const limiter = createHostLimiter(1);
    const crossing = [
      via(one, two.url('/e/1')),
      via(two, one.url('/e/2')),
      via(one, two.url('/e/3')),
      via(two, one.url('/e/4')),
    ];
    const results = await Promise.all(
      crossing.map((u) => fetchUrl(u, { allowPrivate: true, timeoutMs: 5000 }, { hostLimiter: limiter })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it("does not count the wait for a redirect target's slot against the attempt timeout", async () => {
    const limiter = createHostLimiter(1);
    // Host three serves six requests one after the other: the redirected fetches wait there up to
    // ~4 × LATENCY, beyond their budget, for 2 × LATENCY of their own requests, within it.
    const urls = [1, 2, 3, 4]
      .map((i) => three.url(`/g/${i}`))
      .concat([via(one, three.url('/g/5')), via(two, three.url('/g/6'))]);
    const results = await Promise.all(
      urls.map((u) => fetchUrl(u, { allowPrivate: true, timeoutMs: 4 * LATENCY_MS }, { hostLimiter: limiter })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
