import { editionCost, editionDeliveries, recipientGroups } from '../../../db/queries/console-reports.ts';
import { deliveriesQ } from '../../../db/queries/index.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { draftModel } from '../../report-mail.ts';
import { editionOr404, queryParam } from './edition.ts';

const ERRORS = {
  badEmail: 'reports.badEmail',
  badGroup: 'reports.badGroup',
  nothing: 'reports.nothingToResend',
  tooLate: 'reports.tooLate',
  inReview: 'reports.resendInReview',
} as const;

/** `GET /reports/:date/detail`: an edition's page — its files, stories, deliveries, and resend. */
export const reportsDetail: WebRoute = (app, deps) => {
  app.get('/reports/:date/detail', { config: { auth: 'viewer' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply);
    if (!e) return reply;
    const [{ reviewLists }, counts, cost, deliveries, groups] = await Promise.all([
      import('../../../report/review-edits.ts'),
      deliveriesQ.deliveryCounts(deps.db, e.id),
      editionCost(deps.db, e.id),
      editionDeliveries(deps.db, e.id),
      recipientGroups(deps.db),
    ]);
    const lists = e.model ? reviewLists(await draftModel(e)) : [];
    const ctx = pageContext(req, reply);
    const resent = queryParam(req, 'resent');
    const err = ERRORS[queryParam(req, 'error') as keyof typeof ERRORS];
    const notice = resent
      ? ctx.t(queryParam(req, 'queued') === '0' ? 'reports.resentNone' : 'reports.resent', {
          n: Number(resent) || 0,
          list: queryParam(req, 'to'),
          date: e.date,
        })
      : queryParam(req, 'done') === 'approved'
        ? ctx.t('reports.approved')
        : null;
    const edition = { ...e, items: e.itemCount, composed: e.model !== null };
    return sendPage(reply, async (h) =>
      h((await import('../../views/reports.tsx')).ReportDetailPage, {
        ctx,
        edition,
        lists,
        counts,
        cost,
        deliveries,
        groups,
        notice,
        error: err ? ctx.t(err) : null,
      }),
    );
  });
};
