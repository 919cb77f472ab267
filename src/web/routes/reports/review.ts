import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { editionOr404, queryParam } from './edition.ts';

const NOTICES = { saved: 'reports.saved', approved: 'reports.approved' } as const;

/** `GET /reports/:date/review`: the draft under review — its stories to edit, its preview, test and approve. */
export const reportsReview: WebRoute = (app, deps) => {
  app.get('/reports/:date/review', { config: { auth: 'viewer' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    if (e.status !== 'review' || e.approvedAt) return reply.redirect(`/reports/${e.date}/detail`, 303);
    const [{ loadReportModel }, { applyReviewEdits, normalizeEdits, reviewLists, findStory }] = await Promise.all([
      import('../../../report/stored-model.ts'),
      import('../../../report/review-edits.ts'),
    ]);
    const composed = loadReportModel(e.model!);
    const edits = normalizeEdits(e.reviewEdits);
    const ctx = pageContext(req, reply);
    const n = NOTICES[queryParam(req, 'done') as keyof typeof NOTICES];
    const sent = queryParam(req, 'test');
    const failed = queryParam(req, 'testError');
    return sendPage(reply, async (h) =>
      h((await import('../../views/reports-review.tsx')).ReviewPage, {
        ctx,
        date: e.date,
        deadline: e.reviewDeadlineAt,
        lists: reviewLists(applyReviewEdits(composed, edits)),
        dropped: edits.dropped.map((id) => findStory(composed, id)).filter((s) => s !== null),
        pinned: edits.pinned,
        counts: {
          dropped: edits.dropped.length,
          pinned: edits.pinned.length,
          summaries: Object.keys(edits.summaries).length,
        },
        version: JSON.stringify(edits).length.toString(36) + Date.now().toString(36),
        notice: sent
          ? ctx.t('reports.testSent', { email: ctx.user?.email ?? '', response: sent })
          : n
            ? ctx.t(n)
            : null,
        error: failed ? ctx.t('reports.testFailed', { error: failed }) : null,
      }),
    );
  });
};
