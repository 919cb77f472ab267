/**
 * The one way a render reaches the network: a forward proxy on 127.0.0.1, started for one render and closed
 * with it. Chromium's context is pointed at it (loopback included), so the browser never resolves a name nor
 * opens a connection of its own. The proxy applies the HTTP layer's rule to plain requests and CONNECT
 * tunnels alike: the host resolved once, every address checked, the connection made to the checked address
 * (a second DNS answer — DNS rebinding — is never followed), a cap on each response or tunnel, and
 * timeouts for connecting and for silence.
 */
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, isIP } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import { vettedAddress } from './address-guard.ts';
import type { HostLookup } from './address-guard.ts';
import { byteLimit } from './byte-limit.ts';
import { FetchError } from './errors.ts';

/** Header on the proxy's own answer to a request it refused or could not forward. */
export const PROXY_FAILURE_HEADER = 'x-finrep-proxy-failure';

/** Where the proxy connects for a checked address (tests send a pretend public address to a local server). */
export type Dial = (address: string, port: number) => { host: string; port: number };

export interface RenderProxyOptions {
  lookup: HostLookup;
  /** Forward to loopback/private addresses too (the demo world, tests): nothing is checked. */
  allowPrivate: boolean;
  /** Cap on one response (plain HTTP) or on what one tunnel brings back (HTTPS). @defaultValue 15 MB */
  maxBytes?: number;
  /** @defaultValue 15 000 */
  connectTimeoutMs?: number;
  /** Longest silence on a connection. @defaultValue 15 000 */
  idleTimeoutMs?: number;
  dial?: Dial;
  log: Logger;
}

export interface RenderProxy {
  /** `http://127.0.0.1:<port>`, for Playwright's `proxy.server`. */
  server: string;
  /** Resolves and checks `url`'s host (once per render); the proxy connects to the address checked here. */
  check(url: URL): Promise<void>;
  /** Why a request to `url`'s host and port was refused or failed in the proxy, if it was. */
  failure(url: URL): FetchError | undefined;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Starts a proxy on an ephemeral loopback port. */
export async function startRenderProxy(o: RenderProxyOptions): Promise<RenderProxy> {
  const maxBytes = o.maxBytes ?? 15 * 1024 * 1024;
  const connectTimeoutMs = o.connectTimeoutMs ?? 15_000;
  const idleTimeoutMs = o.idleTimeoutMs ?? 15_000;
  const vetted = new Map<string, Promise<{ host: string; port: number }>>();
  const failures = new Map<string, FetchError>();
  const sockets = new Set<Duplex>();
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  const track = <S extends Duplex>(s: S): S => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    return s;
  };

  /** The host and port to connect to for `url`, resolved and checked once per host for this render. */
  function destination(url: URL): Promise<{ host: string; port: number }> {
    const key = hostKey(url);
    let d = vetted.get(key);
    if (!d) {
      const port = portOf(url);
      d = o.allowPrivate
        ? Promise.resolve({ host: url.hostname.replace(/^\[|\]$/g, ''), port })
        : vettedAddress(url, o.lookup).then((a) => {
            const address = a ?? url.hostname.replace(/^\[|\]$/g, '');
            return o.dial ? o.dial(address, port) : { host: address, port };
          });
      vetted.set(key, d);
    }
    return d;
  }

  function fail(url: URL, err: unknown): FetchError {
    const e =
      err instanceof FetchError
        ? err
        : new FetchError(`GET ${url.href} failed: ${reason(err)}`, { url: url.href, code: 'network', cause: err });
    if (!failures.has(hostKey(url))) failures.set(hostKey(url), e);
    o.log.debug({ url: url.href, err: e }, 'browser request stopped at the proxy');
    return e;
  }

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = proxiedUrl(req.url);
    if (!url) return void res.writeHead(400, { connection: 'close' }).end('absolute http URL expected\n');
    let dest: { host: string; port: number };
    try {
      dest = await destination(url);
    } catch (err) {
      return answerFailure(res, fail(url, err));
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
    const up = request({
      host: dest.host,
      port: dest.port,
      family: isIP(dest.host) || undefined,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...headers, host: url.host },
      agent,
      timeout: connectTimeoutMs,
    });
    up.on('socket', (s) => track(s));
    up.on('timeout', () =>
      up.destroy(new FetchError(`timeout fetching ${url.href}: silent for ${connectTimeoutMs} ms`, timeoutOf(url))),
    );
    up.on('error', (err) => {
      const e = fail(url, err);
      if (!res.headersSent) answerFailure(res, e);
      else res.destroy();
    });
    up.on('response', (upRes) => {
      upRes.socket.setTimeout(idleTimeoutMs);
      const out: string[] = [];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(upRes.rawHeaders[i]!.toLowerCase()))
          out.push(upRes.rawHeaders[i]!, upRes.rawHeaders[i + 1]!);
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      pipeline(
        upRes,
        byteLimit(maxBytes, () => tooLarge(url, maxBytes)),
        res,
        (err) => {
          if (err) {
            fail(url, err);
            up.destroy();
          }
        },
      );
    });
    // Chromium may drop a request at any time (a page closed): that ends the upstream one, never the process.
    req.on('error', () => up.destroy());
    res.on('error', () => up.destroy());
    req.pipe(up);
  }

  async function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    track(client);
    client.on('error', () => undefined);
    const url = tunnelUrl(req.url);
    if (!url) return void client.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    let dest: { host: string; port: number };
    try {
      dest = await destination(url);
    } catch (err) {
      fail(url, err);
      return void client.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
    }
    const up: Socket = track(connect({ host: dest.host, port: dest.port, timeout: connectTimeoutMs }));
    up.once('timeout', () =>
      up.destroy(
        new FetchError(`timeout connecting to ${url.host}: silent for ${connectTimeoutMs} ms`, timeoutOf(url)),
      ),
    );
    up.on('error', (err) => {
      fail(url, err);
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
    });
    up.once('connect', () => {
      up.setTimeout(idleTimeoutMs);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      pipeline(client, up, () => undefined);
      pipeline(
        up,
        byteLimit(maxBytes, () => tooLarge(url, maxBytes)),
        client,
        (err) => {
          if (err) {
            fail(url, err);
            client.destroy();
            up.destroy();
          }
        },
      );
    });
  }

  const server = createServer((req, res) => void forward(req, res).catch(() => res.destroy()));
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    void tunnel(req, client, head).catch(() => client.destroy());
  });
  server.on('connection', (s: Socket) => void track(s));
  server.on('clientError', (_err, s: Duplex) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server: `http://127.0.0.1:${port}`,
    check: async (url) => void (await destination(url)),
    failure: (url) => failures.get(hostKey(url)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      }),
  };
}

/** `hostname:port`, the port always written (a CONNECT line always has one). */
function hostKey(url: URL): string {
  return `${url.hostname.toLowerCase()}:${portOf(url)}`;
}

function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** A plain request's absolute URL (`GET http://host/path`), or null when it is not one. */
function proxiedUrl(raw: string | undefined): URL | null {
  try {
    const u = new URL(raw ?? '');
    return u.protocol === 'http:' ? u : null;
  } catch {
    return null;
  }
}

/** A CONNECT line's `host:port` as an https URL (CONNECT carries WebSockets too; the scheme only names the port). */
function tunnelUrl(raw: string | undefined): URL | null {
  if (!raw || !/^[^/?#@]+:\d+$/.test(raw)) return null;
  try {
    return new URL(`https://${raw}/`);
  } catch {
    return null;
  }
}

function answerFailure(res: ServerResponse, err: FetchError): void {
  res
    .writeHead(err.code === 'private_address' ? 403 : 502, {
      'content-type': 'text/plain; charset=utf-8',
      connection: 'close',
      [PROXY_FAILURE_HEADER]: err.code,
    })
    .end(`${err.message}\n`);
}

function tooLarge(url: URL, max: number): FetchError {
  return new FetchError(`response from ${url.href} is larger than the ${max}-byte limit`, {
    url: url.href,
    code: 'too_large',
  });
}

function timeoutOf(url: URL) {
  return { url: url.href, code: 'timeout' as const };
}

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}
