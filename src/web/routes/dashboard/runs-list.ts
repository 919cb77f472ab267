import { z } from 'zod';
import * as consoleQ from '../../../db/queries/console-runs.ts';
import { dateInZone } from '../../../lib/time.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

const PAGE_SIZE = 50;
const query = z.object({ page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1) });

/** `GET /runs`: the runs, newest first, and the "run now" form for admins. */
export const runsList: WebRoute = (app, deps) => {
  app.get('/runs', { config: { auth: 'viewer' } }, async (req, reply) => {
    const { page } = query.parse(req.query ?? {});
    const { rows, total } = await consoleQ.runsPage(deps.db, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const ctx = pageContext(req, reply);
    const form = { date: dateInZone(new Date(), deps.config.timeZone), dryRun: false, groups: '' };
    const props = { ctx, rows, total, page, pageSize: PAGE_SIZE, form };
    return sendPage(reply, async (h) => h((await import('../../views/dashboard-runs.tsx')).RunsPage, props));
  });
};
