import { z } from 'zod';
import * as consoleQ from '../../../db/queries/console-runs.ts';
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

/** `GET /runs/:id`: a run's stages and events so far, followed live by run-live.js (`/runs/:id/events`). */
export const runShow: WebRoute = (app, deps) => {
  app.get('/runs/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = params.safeParse(req.params);
    const run = p.success ? await consoleQ.runWithEdition(deps.db, p.data.id) : null;
    if (!run) return reply.callNotFound();
    const [stages, events] = await Promise.all([listStages(deps.db, run.id), consoleQ.lastRunEvents(deps.db, run.id)]);
    const ctx = pageContext(req, reply);
    const props = { ctx, run, stages, events };
    return sendPage(reply, async (h) => h((await import('../../views/dashboard-runs.tsx')).RunPage, props));
  });
};
