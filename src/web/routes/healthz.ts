import type { WebRoute } from '../deps.ts';
import { createWebHealth } from '../../ops/health-web.ts';

/**
 * `GET /healthz`: the readiness of the whole system (src/ops/health-web.ts) — 200 when every check passes,
 * 503 naming the failing ones, JSON detail either way. Answers within the check timeout whatever hangs.
 */
export const healthz: WebRoute = async (app, deps) => {
  const { health, close } = await createWebHealth({ ...deps, inProcess: deps.startEdition !== undefined });
  app.addHook('onClose', close);
  app.get('/healthz', { config: { auth: 'public' }, logLevel: 'warn' }, async (_req, reply) => {
    const report = await health.report();
    return reply
      .code(report.status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ...report, at: new Date().toISOString() });
  });
};
