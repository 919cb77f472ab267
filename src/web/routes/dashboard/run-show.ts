import { z } from 'zod';
import * as consoleQ from '../../../db/queries/console-runs.ts';
import { skipsHeldBy } from '../../../db/queries/alerts.ts';
import { listStages } from '../../../db/queries/runs.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

const params = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1),
});

/**
 * `GET /runs/:id`: a run's stages and events so far, followed live by run-live.js (`/runs/:id/events`); an
 * alert run also says how many alert runs it held off.
 */
export const runShow: WebRoute = (app, deps) => {
  app.get('/runs/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = params.safeParse(req.params);
    const run = p.success ? await consoleQ.runWithEdition(deps.db, p.data.id) : null;
    if (!run) return reply.callNotFound();
    const [stages, events, skips] = await Promise.all([
      listStages(deps.db, run.id),
      consoleQ.lastRunEvents(deps.db, run.id),
      run.trigger === 'alerts' ? skipsHeldBy(deps.db, run.id) : null,
    ]);
    const ctx = pageContext(req, reply);
    const props = { ctx, run, stages, events, skips };
    return sendPage(reply, async (h) => h((await import('../../views/dashboard-runs.tsx')).RunPage, props));
  });
};
