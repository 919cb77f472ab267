import * as reviewQ from '../../../db/queries/review.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { editionOr404 } from './edition.ts';

/**
 * `POST /reports/:date/review/approve`: the editor approves the draft. The waiting run sees it (the approval is
 * a state of the edition's row, whichever process runs the edition), applies the edits, draws the report again
 * and sends it. Too late (approved, or sent as composed at its deadline): nothing changes.
 */
export const reportsReviewApprove: WebRoute = (app, deps) => {
  app.post('/reports/:date/review/approve', { config: { auth: 'admin' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    const by = req.principal?.actor ?? 'unknown';
    const ok = e.reviewRunId !== null && (await reviewQ.approveReview(deps.db, e.id, e.reviewRunId, by));
    if (!ok) return reply.redirect(`/reports/${e.date}/detail?error=tooLate`, 303);
    await auditWeb(req, deps, 'report.review.approve', `edition:${e.date}`, { edits: e.reviewEdits ?? null });
    return reply.redirect(`/reports/${e.date}/detail?done=approved`, 303);
  });
};
