import * as consoleQ from '../../../db/queries/console-runs.ts';
import { dateInZone, isIsoDate } from '../../../lib/time.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { RunForm } from '../../views/dashboard-runs.tsx';
import { queueEdition } from '../api-runs.ts';

type Body = { date?: string; dry_run?: string; groups?: string };

/**
 * `POST /runs` ("run now"): starts an edition exactly as `POST /api/v1/runs` does — on the embedded process's
 * own queue, else on Redis for the workers — and goes to its live page; a second start of an edition while it
 * runs is refused, naming the run.
 */
export const runsStart: WebRoute = (app, deps) => {
  app.post<{ Body: Body }>('/runs', { config: { auth: 'admin' } }, async (req, reply) => {
    const b = req.body ?? {};
    const ctx = pageContext(req, reply);
    const groups = String(b.groups ?? '')
      .split(/[,，]/)
      .map((g) => g.trim());
    const form: RunForm = {
      date: String(b.date ?? '').trim(),
      dryRun: b.dry_run === '1',
      groups: String(b.groups ?? ''),
    };
    const again = async (status: number, error: string | null, running: number | null = null) => {
      const { rows, total } = await consoleQ.runsPage(deps.db, { limit: 50, offset: 0 });
      const props = { ctx, rows, total, page: 1, pageSize: 50, form, error, running };
      return sendPage(reply, async (h) => h((await import('../../views/dashboard-runs.tsx')).RunsPage, props), status);
    };
    form.date ||= dateInZone(new Date(), deps.config.timeZone);
    if (!isIsoDate(form.date)) form.errors = { date: ctx.t('dashboard.runs.badDate') };
    if (form.groups.trim() && groups.some((g) => !g))
      form.errors = { ...form.errors, groups: ctx.t('dashboard.runs.badGroups') };
    if (form.errors) return again(400, null);
    if (!deps.startEdition && !deps.config.redisUrl) return again(503, ctx.t('dashboard.runs.noQueue'));
    const job = { date: form.date, dryRun: form.dryRun, groups: form.groups.trim() ? groups : null, trigger: 'web' };
    const started = deps.startEdition ? await deps.startEdition(job) : await queueEdition(deps, job);
    if ('running' in started)
      return again(
        409,
        ctx.t('dashboard.runs.alreadyRunning', { date: job.date, id: started.running }),
        started.running,
      );
    await auditWeb(req, deps, 'run.start', `run:${started.runId}`, {
      date: job.date,
      dry_run: job.dryRun,
      groups: job.groups,
    });
    return reply.redirect(`/runs/${started.runId}`, 303);
  });
};
