import type { WebRoute } from '../../deps.ts';
import { lastClaim } from '../../../db/queries/status-samples.ts';
import { createStatusReader } from '../../../ops/status.ts';
import { pageContext, sendPage } from '../../render.ts';
import { isRange } from './chart-options.ts';

/**
 * `GET /admin/status`: the database, Redis, queues, workers, beat and this process's latency now, and their
 * trends from the samples (charts redrawn every 30 s). Uses the process's shared reader (`finrep web`,
 * `finrep start`) or, on a server built without one, its own.
 */
export const statusPage: WebRoute = (app, deps) => {
  let own: ReturnType<typeof createStatusReader> | null = null;
  const reader = () => deps.status ?? (own ??= createStatusReader(deps));
  app.addHook('onClose', async () => {
    await own?.close();
  });
  app.get('/admin/status', { config: { auth: 'viewer' } }, async (req, reply) => {
    const asked = (req.query as { range?: unknown }).range;
    const range = isRange(asked) ? asked : '6h';
    const [snapshot, sampled] = await Promise.all([reader().read(), lastClaim(deps.db)]);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/status.tsx')).StatusPage, { ctx, snapshot, sampledAt: sampled?.at ?? null, range }),
    );
  });
};
