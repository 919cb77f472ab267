import type { WebRoute } from '../deps.ts';
import { refuseMetrics } from '../../ops/metrics-access.ts';
import type { Registry } from '../../ops/metrics-registry.ts';

/**
 * `GET /metrics`: Prometheus' page for this process and for the installation (queues, editions, budgets).
 * Public at the auth layer (Prometheus has no session); guarded by `METRICS_TOKEN` when set, else open only
 * to direct callers on the internal network. prom-client loads on the first scrape, not at start.
 */
export const metricsRoute: WebRoute = (app, deps) => {
  let registry: Promise<{ registry: Registry; close(): Promise<void> }> | null = null;
  const load = async () => {
    const [{ buildRegistry }, { clusterFamilies }] = await Promise.all([
      import('../../ops/metrics-registry.ts'),
      import('../../ops/metrics-cluster.ts'),
    ]);
    const cluster = clusterFamilies({
      db: deps.db,
      config: deps.config,
      log: deps.log,
      // PostgreSQL: the figures on a connection of their own, not the pool the console keeps busy.
      databaseUrl: deps.config.databaseUrl,
      ...(deps.queueCounts ? { queueCounts: deps.queueCounts } : {}),
    });
    return {
      registry: buildRegistry({ dataDir: deps.config.dataDir, cluster: cluster.families }),
      close: cluster.close,
    };
  };
  app.addHook('onClose', async () => {
    await (await registry)?.close();
  });
  app.get('/metrics', { config: { auth: 'public' }, logLevel: 'warn' }, async (req, reply) => {
    const refused = refuseMetrics(
      {
        peer: req.socket.remoteAddress,
        authorization: req.headers.authorization,
        forwarded: req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined,
      },
      deps.config.metrics.token,
    );
    if (refused) {
      if (refused.status === 401) reply.header('www-authenticate', 'Bearer');
      return reply
        .code(refused.status)
        .send({ error: refused.status === 401 ? 'unauthorized' : 'forbidden', message: refused.message });
    }
    // A failed first load (prom-client missing from a broken install) is tried again on the next scrape.
    registry ??= load().catch((err: unknown) => {
      registry = null;
      throw err;
    });
    const { registry: r } = await registry;
    return reply
      .type(r.contentType)
      .header('cache-control', 'no-store')
      .send(await r.metrics());
  });
};
