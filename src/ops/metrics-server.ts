/**
 * The `/metrics` listener of a process without a web server (`finrep worker`, `finrep beat`) on
 * `METRICS_PORT`: the process's own families only (the installation's — queues, editions, budgets — come
 * from the web server, once). Same guard as the web server's: `METRICS_TOKEN`, or the internal network.
 */
import { createServer } from 'node:http';
import type { Logger } from '../log.ts';
import { refuseMetrics } from './metrics-access.ts';

/** A listening metrics server. */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on `host:port` and answers `GET /metrics`; everything else is 404.
 * @example const m = await startMetricsServer({ port: 9464, token: null, dataDir, log }); … await m.close();
 */
export async function startMetricsServer(opts: {
  port: number;
  host?: string;
  token: string | null;
  dataDir: string;
  log: Logger;
}): Promise<MetricsServer> {
  const { buildRegistry } = await import('./metrics-registry.ts');
  const registry = buildRegistry({ dataDir: opts.dataDir });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    const refused = refuseMetrics(
      {
        peer: req.socket.remoteAddress,
        authorization: req.headers.authorization,
        forwarded: req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined,
      },
      opts.token,
    );
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'text/plain' }).end(`${refused.message}\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text),
      (err: unknown) => {
        opts.log.warn({ err: (err as Error).message }, 'metrics: scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.log.info({ port }, 'metrics: listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
