import { dateInZone } from '../../lib/time.ts';
import * as consoleQ from '../../db/queries/console-runs.ts';
import { listStages } from '../../db/queries/runs.ts';
import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';

/**
 * `GET /`: the dashboard — today's edition (in TZ) with its newest run's stages, counts and errors, the last
 * 30 editions against the delivery deadline, and the sources failing now. API tokens get the API's address.
 */
export const home: WebRoute = (app, deps) => {
  app.get('/', { config: { auth: 'viewer' } }, async (req, reply) => {
    if (req.principal?.kind !== 'session') return { name: 'finrep', api: '/api/v1', docs: '/api/docs/json' };
    const { db, config } = deps;
    const today = dateInZone(new Date(), config.timeZone);
    const [editions, failing] = await Promise.all([
      consoleQ.editionLines(db, { limit: 30 }),
      consoleQ.failingSources(db),
    ]);
    const edition =
      editions.find((e) => e.date === today) ?? (await consoleQ.editionLines(db, { date: today }))[0] ?? null;
    const run = edition ? await consoleQ.latestRunOf(db, edition.id) : null;
    const [stages, problems] = run
      ? await Promise.all([listStages(db, run.id), consoleQ.runProblems(db, run.id)])
      : [[], []];
    const ctx = pageContext(req, reply);
    const props = { ctx, today, deadline: config.report.deadline, edition, run, stages, problems, editions, failing };
    return sendPage(reply, async (h) => h((await import('../views/dashboard.tsx')).DashboardPage, props));
  });
};
