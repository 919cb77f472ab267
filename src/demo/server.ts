/**
 * The demo world's HTTP server (node:http): serves a prebuilt route table with ETag / Last-Modified
 * validators, `Cache-Control: no-cache` and 304s, so the collector's conditional GET is exercised for real.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from './routes.ts';

/** Answers one request from the route table. */
export function handle(routes: Map<string, Resource>, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname;
  const r = routes.get(path) ?? (path.endsWith('/') ? routes.get(`${path}index.html`) : undefined);
  if (!r) {
    res
      .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' })
      .end('404 not found\n');
    return;
  }
  const headers: Record<string, string> = { ETag: r.etag, 'Cache-Control': 'no-cache' };
  if (r.lastModified) headers['Last-Modified'] = r.lastModified;
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const etagMatch =
    inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === r.etag || t.trim() === '*');
  // If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 §13.2.2).
  const dateMatch =
    inm === undefined && ims !== undefined && r.lastModified !== null && Date.parse(ims) >= Date.parse(r.lastModified);
  if (etagMatch || dateMatch) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': r.contentType, 'Content-Length': String(r.body.length) });
  res.end(req.method === 'HEAD' ? undefined : r.body);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** A listening demo server; `routes` can be filled once the port (hence the base URL) is known. */
export interface DemoServer {
  port: number;
  routes: Map<string, Resource>;
  close(): Promise<void>;
}

/** Listens on `host` (127.0.0.1 unless given): on `port` when given and free, else on an ephemeral port. */
export async function startServer(port = 0, host = '127.0.0.1'): Promise<DemoServer> {
  const routes = new Map<string, Resource>();
  const server = createServer((req, res) => handle(routes, req, res));
  let bound: number;
  try {
    bound = await listen(server, port, host);
  } catch (err) {
    if (port === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    bound = await listen(server, 0, host);
  }
  return {
    port: bound,
    routes,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets from fetch would otherwise hold close() open for seconds.
        server.closeAllConnections();
      }),
  };
}
