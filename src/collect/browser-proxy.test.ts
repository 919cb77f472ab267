/**
 * The render proxy on its own, with real sockets: CONNECT tunnels (what Chromium uses for HTTPS and
 * WebSockets) go to the checked address or nowhere, and a tunnel's download is capped. Plain requests are
 * covered through the real Chromium in `browser.test.ts`.
 */
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { startRenderProxy } from './browser-proxy.ts';

const log = silentLogger();

/** Opens a CONNECT tunnel through `proxy` and returns the socket with everything read until it closes. */
async function tunnel(proxy: string, target: string, send = ''): Promise<string> {
  const { port } = new URL(proxy);
  const s: Socket = connect(Number(port), '127.0.0.1');
  await once(s, 'connect');
  s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${send}`);
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => undefined);
  await once(s, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

describe('render proxy: CONNECT tunnels', () => {
  let upstream: Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    // Answers "hello" to what it is sent, then 64 KB, then closes.
    upstream = createServer((s) => {
      s.on('error', () => undefined); // the proxy cuts the over-cap tunnel while this side still writes
      s.once('data', (d: Buffer) => {
        seen.push(d.toString());
        s.end(Buffer.concat([Buffer.from('hello '), Buffer.alloc(64 * 1024, 'x')]));
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    port = (upstream.address() as AddressInfo).port;
  });
  afterAll(() => void upstream.close());

  it('tunnels to the checked address (the name never resolved by anyone else)', async () => {
    const proxy = await startRenderProxy({
      lookup: async () => ['93.184.216.34'],
      allowPrivate: false,
      dial: (address, p) =>
        address === '93.184.216.34' && p === 443 ? { host: '127.0.0.1', port } : { host: '0', port: 1 },
      log,
    });
    try {
      const got = await tunnel(proxy.server, 'public.test:443', 'ping');
      expect(got.startsWith('HTTP/1.1 200 Connection Established\r\n\r\nhello x')).toBe(true);
      expect(seen.at(-1)).toBe('ping');
      expect(proxy.failure(new URL('https://public.test/'))).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it('refuses a tunnel to a name that resolves to a private address, and says why', async () => {
    const proxy = await startRenderProxy({ lookup: async () => ['127.0.0.1'], allowPrivate: false, log });
    const before = seen.length;
    try {
      const got = await tunnel(proxy.server, `rebind.test:${port}`, 'ping');
      expect(got).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(seen.length).toBe(before);
      expect(proxy.failure(new URL(`https://rebind.test:${port}/`))).toMatchObject({ code: 'private_address' });
    } finally {
      await proxy.close();
    }
  });

  it('cuts a tunnel whose download passes the cap, and records it as too large', async () => {
    const proxy = await startRenderProxy({ lookup: async () => [], allowPrivate: true, maxBytes: 16 * 1024, log });
    try {
      const got = await tunnel(proxy.server, `127.0.0.1:${port}`, 'ping');
      expect(got.length).toBeLessThan(20 * 1024);
      expect(proxy.failure(new URL(`https://127.0.0.1:${port}/`))).toMatchObject({ code: 'too_large' });
    } finally {
      await proxy.close();
    }
  });
});
