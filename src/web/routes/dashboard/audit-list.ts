import { z } from 'zod';
import * as consoleQ from '../../../db/queries/console-runs.ts';
import { isIsoDate, zonedToUtc } from '../../../lib/time.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

const PAGE_SIZE = 50;
const text = z.string().trim().max(200).catch('').default('');
const day = z.string().refine(isIsoDate).optional().catch(undefined);
const query = z.object({
  actor: text,
  action: text,
  target: text,
  from: day,
  to: day,
  page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
});

/** The start of `date` in `timeZone`, plus `days`. */
function dayStart(date: string, timeZone: string, days = 0): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedToUtc(y, m, d + days, 0, 0, timeZone);
}

/** `GET /audit`: who changed what (before/after in the detail), filtered by actor, action, target and dates. */
export const auditList: WebRoute = (app, deps) => {
  app.get('/audit', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = query.parse(req.query ?? {});
    const tz = deps.config.timeZone;
    const filter = {
      actor: q.actor,
      action: q.action,
      target: q.target,
      from: q.from ? dayStart(q.from, tz) : undefined,
      to: q.to ? dayStart(q.to, tz, 1) : undefined,
    };
    const page = { limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE };
    const [{ rows, total }, actions] = await Promise.all([
      consoleQ.auditPage(deps.db, filter, page),
      consoleQ.auditActions(deps.db),
    ]);
    const ctx = pageContext(req, reply);
    const props = { ctx, rows, total, actions, query: q, pageSize: PAGE_SIZE };
    return sendPage(reply, async (h) => h((await import('../../views/dashboard-audit.tsx')).AuditPage, props));
  });
};
