import { lookup as dnsLookup } from 'node:dns/promises';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Agent, buildConnector } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError } from './errors.ts';
import { DEFAULT_USER_AGENT, fetchUrl, parseRetryAfter } from './http.ts';
import type { FetchOptions } from './http.ts';
import { isPrivateAddress } from './address-guard.ts';
import { send, startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const noSleep = { sleep: async () => undefined };
const local: FetchOptions = { allowPrivate: true };
let hits: Record<string, number> = {};
const count = (key: string) => (hits[key] = (hits[key] ?? 0) + 1);
const text = '沪指收涨0.62%，报3386.25点。'.repeat(50);

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({
    '/plain': send('hello'),
    '/echo': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
    },
    '/etag': (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
      else res.writeHead(200, { etag: '"v1"', 'last-modified': 'Mon, 10 Nov 2025 00:00:00 GMT' }).end('fresh');
    },
    '/gzip': send(gzipSync(Buffer.from(text)), { 'content-encoding': 'gzip' }),
    '/deflate': send(deflateSync(Buffer.from(text)), { 'content-encoding': 'deflate' }),
    '/br': send(brotliCompressSync(Buffer.from(text)), { 'content-encoding': 'br' }),
    '/bomb': send(gzipSync(Buffer.alloc(2_000_000)), { 'content-encoding': 'gzip' }),
    '/big': send(Buffer.alloc(200_000, 0x61)),
    '/big-chunked': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 20; i++) res.write(Buffer.alloc(10_000, 0x61));
      res.end();
    },
    '/slow': (_req, res) => {
      setTimeout(() => res.writeHead(200).end('late'), 2_000).unref();
    },
    '/stall': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    },
    '/loop': (_req, res) => {
      res.writeHead(302, { location: '/loop2' }).end();
    },
    '/loop2': (_req, res) => {
      res.writeHead(302, { location: '/loop' }).end();
    },
    '/hop1': (_req, res) => {
      res.writeHead(301, { location: 'hop2' }).end();
    },
    '/hop2': (_req, res) => {
      res.writeHead(307, { location: '/plain#frag' }).end();
    },
    '/to-local': (_req, res) => {
      res.writeHead(302, { location: srv.url('/plain') }).end();
    },
    '/secret': send('internal only'),
    '/to-ftp': (_req, res) => {
      res.writeHead(302, { location: 'ftp://example.com/x' }).end();
    },
    '/flaky': (_req, res) => {
      if (count('flaky') < 2) res.writeHead(503).end('busy');
      else res.writeHead(200).end('ok now');
    },
    '/always-500': (_req, res) => {
      count('always-500');
      res.writeHead(500).end('broken');
    },
    '/retry-after': (_req, res) => {
      if (count('retry-after') < 2) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200).end('ok');
    },
    '/retry-after-long': (_req, res) => {
      count('retry-after-long');
      res.writeHead(503, { 'retry-after': '3600' }).end();
    },
    '/404': (_req, res) => {
      count('404');
      res.writeHead(404).end('no');
    },
  });
});
afterAll(() => srv.close());

describe('fetchUrl', () => {
  it('returns status, final URL, headers and body', async () => {
    const res = await fetchUrl(srv.url('/plain'), local);
    expect(res).toMatchObject({ status: 200, url: srv.url('/plain'), notModified: false });
    expect(res.body.toString()).toBe('hello');
    expect(res.headers['content-type']).toContain('text/html');
  });

  it('sends our User-Agent, Accept-Encoding, validators and per-source headers', async () => {
    const res = await fetchUrl(srv.url('/echo'), {
      ...local,
      etag: '"abc"',
      lastModified: 'Mon, 10 Nov 2025 00:00:00 GMT',
      headers: { Referer: 'https://x.example/' },
    });
    const h = JSON.parse(res.body.toString()) as Record<string, string>;
    expect(h['user-agent']).toBe(DEFAULT_USER_AGENT);
    expect(h['accept-encoding']).toContain('gzip');
    expect(h['if-none-match']).toBe('"abc"');
    expect(h['if-modified-since']).toBe('Mon, 10 Nov 2025 00:00:00 GMT');
    expect(h.referer).toBe('https://x.example/');
    const custom = await fetchUrl(srv.url('/echo'), { ...local, userAgent: 'custom/1' });
    expect((JSON.parse(custom.body.toString()) as Record<string, string>)['user-agent']).toBe('custom/1');
  });

  it('turns a 304 into notModified with an empty body', async () => {
    const first = await fetchUrl(srv.url('/etag'), local);
    expect(first.headers.etag).toBe('"v1"');
    const again = await fetchUrl(srv.url('/etag'), { ...local, etag: first.headers.etag });
    expect(again).toMatchObject({ status: 304, notModified: true });
    expect(again.body.length).toBe(0);
  });

  it.each([
    { name: 'gzip', path: '/gzip' },
    { name: 'deflate', path: '/deflate' },
    { name: 'brotli', path: '/br' },
  ])('decodes $name bodies', async ({ path }) => {
    const res = await fetchUrl(srv.url(path), local);
    expect(res.body.toString()).toBe(text);
  });

  it.each([
    { name: 'declared length above the cap', path: '/big', maxBytes: 100_000 },
    { name: 'chunked body growing above the cap', path: '/big-chunked', maxBytes: 100_000 },
    { name: 'gzip bomb above the cap once decompressed', path: '/bomb', maxBytes: 500_000 },
  ])('refuses a $name (too_large)', async ({ path, maxBytes }) => {
    const err = await fetchUrl(srv.url(path), { ...local, maxBytes }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({ code: 'too_large', url: srv.url(path) });
  });

  it.each([
    { name: 'no headers in time', path: '/slow', opts: { headersTimeoutMs: 300 } },
    { name: 'overall budget exceeded', path: '/slow', opts: { timeoutMs: 300 } },
    { name: 'body stalls', path: '/stall', opts: { bodyTimeoutMs: 300 } },
  ])('times out when $name', async ({ path, opts }) => {
    const started = Date.now();
    const err = await fetchUrl(srv.url(path), { ...local, ...opts }, noSleep).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FetchError', code: 'timeout' });
    expect((err as Error).message).toContain('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("says a timeout's reason once in the log line of the error", async () => {
    const lines: string[] = [];
    const log = pino({}, { write: (line: string) => void lines.push(line) });
    const err = await fetchUrl(srv.url('/slow'), { ...local, timeoutMs: 300 }, noSleep).catch((e: unknown) => e);
    log.warn({ err }, 'source failed');
    const logged = (JSON.parse(lines[0]!) as { err: { message: string } }).err.message;
    expect(logged).toBe(`timeout fetching ${srv.url('/slow')}: no complete response within 300 ms`);
  });

  it('stops at once, without retrying, when the caller aborts (a source out of time)', async () => {
    hits = {};
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("the source's time budget of 1 s is spent")), 200).unref();
    const err = await fetchUrl(srv.url('/slow'), { ...local, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({
      code: 'aborted',
      message: `stopped fetching ${srv.url('/slow')}: the source's time budget of 1 s is spent`,
    });
    expect(srv.requests.filter((r) => r.url === '/slow').length).toBeGreaterThan(0);
  });

  it('follows relative redirects and reports the final URL without the fragment', async () => {
    const res = await fetchUrl(srv.url('/hop1'), local);
    expect(res.url).toBe(srv.url('/plain'));
    expect(res.body.toString()).toBe('hello');
  });

  it('stops after 5 redirects', async () => {
    const err = await fetchUrl(srv.url('/loop'), local).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'too_many_redirects' });
    expect(srv.requests.filter((r) => r.url?.startsWith('/loop')).length).toBe(6);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    await expect(fetchUrl(srv.url('/to-ftp'), local)).rejects.toMatchObject({ code: 'bad_url' });
  });

  it('retries a 503 and succeeds', async () => {
    const waits: number[] = [];
    const res = await fetchUrl(srv.url('/flaky'), local, {
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.5,
    });
    expect(res.body.toString()).toBe('ok now');
    expect(waits).toEqual([500]);
  });

  it('gives up after the configured retries with http_status', async () => {
    hits = {};
    const err = await fetchUrl(srv.url('/always-500'), { ...local, retries: 2 }, noSleep).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'http_status', status: 500 });
    expect(hits['always-500']).toBe(3);
  });

  it('honours Retry-After on 429 and gives up when it is beyond the cap', async () => {
    hits = {};
    const waits: number[] = [];
    const res = await fetchUrl(srv.url('/retry-after'), local, { sleep: async (ms) => void waits.push(ms) });
    expect(res.body.toString()).toBe('ok');
    expect(waits).toEqual([1000]);
    const err = await fetchUrl(srv.url('/retry-after-long'), local, noSleep).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'http_status', status: 503, retryAfterMs: 3_600_000 });
    expect(hits['retry-after-long']).toBe(1);
  });

  it('does not retry a 404', async () => {
    hits = {};
    await expect(fetchUrl(srv.url('/404'), local, noSleep)).rejects.toMatchObject({ code: 'http_status', status: 404 });
    expect(hits['404']).toBe(1);
  });

  it.each([
    { name: 'file URL', url: 'file:///etc/passwd' },
    { name: 'garbage', url: 'not a url' },
  ])('rejects a $name as bad_url', async ({ url }) => {
    await expect(fetchUrl(url, local)).rejects.toMatchObject({ code: 'bad_url' });
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const waits: number[] = [];
    const err = await fetchUrl('http://127.0.0.1:1/', local, { sleep: async (ms) => void waits.push(ms) }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'network' });
    expect((err as Error).cause).toBeDefined();
    expect(waits.length).toBe(2);
  });
});

describe('private addresses', () => {
  it.each([
    { name: 'loopback literal', url: 'http://127.0.0.1:9/x' },
    { name: 'IPv6 loopback', url: 'http://[::1]:9/x' },
    { name: 'decimal-encoded loopback', url: 'http://2130706433/x' },
    { name: 'localhost name', url: 'http://localhost:9/x' },
    { name: 'link-local metadata address', url: 'http://169.254.169.254/latest/meta-data' },
  ])('refuses a $name unless allowPrivate', async ({ url }) => {
    await expect(fetchUrl(url, {}, noSleep)).rejects.toMatchObject({ code: 'private_address' });
  });

  it('refuses a host name resolving to a private address', async () => {
    const lookup = async () => ['10.1.2.3'];
    await expect(fetchUrl('http://intranet.example/', {}, { ...noSleep, lookup })).rejects.toMatchObject({
      code: 'private_address',
    });
  });

  it('checks every redirect hop', async () => {
    // "public.example" resolves to a public address that this test's network routes to the local server,
    // whose redirect to 127.0.0.1 must then be refused.
    const connector = buildConnector({});
    const dispatcher = new Agent({
      connect: (opts, cb) =>
        connector({ ...opts, hostname: opts.hostname === '93.184.216.34' ? '127.0.0.1' : opts.hostname }, cb),
    });
    const port = new URL(srv.url()).port;
    try {
      const ok = await fetchUrl(
        `http://public.example:${port}/plain`,
        {},
        { ...noSleep, dispatcher, lookup: async () => ['93.184.216.34'] },
      );
      expect(ok.body.toString()).toBe('hello');
      const err = await fetchUrl(
        `http://public.example:${port}/to-local`,
        {},
        { ...noSleep, dispatcher, lookup: async () => ['93.184.216.34'] },
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'private_address' });
    } finally {
      await dispatcher.close();
    }
  });

  it('connects to the address it checked, not to a second DNS answer (DNS rebinding)', async () => {
    // The check's resolver answers with an unroutable public address (TEST-NET-1); the system resolver maps
    // "vm" to 127.0.0.1 (/etc/hosts), as a rebinding DNS server would answer the connection's own lookup.
    const { address } = await dnsLookup('vm').catch(() => ({ address: '' }));
    if (address !== '127.0.0.1') return; // this machine's /etc/hosts has no such name: nothing to rebind
    const port = new URL(srv.url()).port;
    const before = srv.requests.filter((r) => r.url === '/secret').length;
    const err = await fetchUrl(
      `http://vm:${port}/secret`,
      { timeoutMs: 1_000, retries: 0 },
      { lookup: async () => ['192.0.2.1'] },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(srv.requests.filter((r) => r.url === '/secret').length).toBe(before);
  });

  it.each([
    { name: '10/8', ip: '10.0.0.1', expected: true },
    { name: '172.16/12', ip: '172.31.255.1', expected: true },
    { name: '192.168/16', ip: '192.168.1.1', expected: true },
    { name: 'CGNAT', ip: '100.64.0.1', expected: true },
    { name: 'unique local v6', ip: 'fd00::1', expected: true },
    { name: 'IPv4-mapped loopback', ip: '::ffff:127.0.0.1', expected: true },
    { name: 'public v4', ip: '93.184.216.34', expected: false },
    { name: 'public v6', ip: '2606:2800:220:1::', expected: false },
    { name: 'NAT64 of loopback', ip: '64:ff9b::127.0.0.1', expected: true },
    { name: 'NAT64 of 10/8, hex', ip: '64:ff9b::a00:1', expected: true },
    { name: 'NAT64 of a public address', ip: '64:ff9b::5db8:d822', expected: false },
    { name: 'NAT64 local-use prefix', ip: '64:ff9b:1::808:808', expected: true },
    { name: '6to4 of loopback', ip: '2002:7f00:1::1', expected: true },
    { name: '6to4 of a public address', ip: '2002:5db8:d822::1', expected: true },
    { name: 'site-local', ip: 'fec0::1', expected: true },
    { name: 'IPv4-compatible loopback', ip: '::127.0.0.1', expected: true },
    { name: 'IPv4-compatible, hex', ip: '::7f00:1', expected: true },
    { name: 'Teredo', ip: '2001:0:4136:e378:8000:63bf:3fff:fdd2', expected: true },
    { name: 'documentation v6', ip: '2001:db8::1', expected: true },
    { name: 'unspecified v6', ip: '::', expected: true },
    { name: 'IPv4-mapped 169.254', ip: '::ffff:169.254.169.254', expected: true },
  ])('classifies $name', ({ ip, expected }) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    { name: 'seconds', value: '120', expected: 120_000 },
    { name: 'HTTP date', value: 'Mon, 10 Nov 2025 00:01:00 GMT', expected: 60_000 },
    { name: 'garbage', value: 'soon', expected: undefined },
  ])('reads $name', ({ value, expected }) => {
    expect(parseRetryAfter(value, Date.parse('2025-11-10T00:00:00Z'))).toBe(expected);
  });
});
