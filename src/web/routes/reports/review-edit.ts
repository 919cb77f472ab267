import * as reviewQ from '../../../db/queries/review.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { editionOr404, field } from './edition.ts';

const OPS = ['drop', 'restore', 'pin', 'unpin', 'up', 'down', 'summary'] as const;
type Op = (typeof OPS)[number];

/**
 * `POST /reports/:date/review/edit`: one change to the draft — `op` drop / restore / pin / unpin / up / down /
 * summary of the story `id` (an article id of the composed report). Kept as edits on the edition (applied
 * when it is approved) and written to `audit_log` with the story's state before and after.
 */
export const reportsReviewEdit: WebRoute = (app, deps) => {
  app.post('/reports/:date/review/edit', { config: { auth: 'admin' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    const op = field(req, 'op') as Op;
    const id = Number(field(req, 'id'));
    const text = field(req, 'summary').replace(/\s+/g, ' ');
    const ed = await import('../../../report/review-edits.ts');
    const composed = (await import('../../../report/stored-model.ts')).loadReportModel(e.model!);
    const story = Number.isSafeInteger(id) ? ed.findStory(composed, id) : null;
    if (!OPS.includes(op) || !story)
      return reply.code(400).send({ error: 'bad_request', message: 'unknown op or story' });
    if (op === 'summary' && (text.length === 0 || text.length > ed.SUMMARY_MAX))
      return reply.code(400).send({ error: 'bad_request', message: `a summary has 1–${ed.SUMMARY_MAX} characters` });
    const without = (list: number[]) => list.filter((x) => x !== id);
    const change = (raw: Parameters<typeof ed.normalizeEdits>[0]) => {
      const cur = ed.normalizeEdits(raw);
      if (op === 'drop') return { ...cur, dropped: [...without(cur.dropped), id], pinned: without(cur.pinned) };
      if (op === 'restore') return { ...cur, dropped: without(cur.dropped) };
      if (op === 'pin') return { ...cur, pinned: [...without(cur.pinned), id], dropped: without(cur.dropped) };
      if (op === 'unpin') return { ...cur, pinned: without(cur.pinned) };
      if (op === 'summary') return { ...cur, summaries: { ...cur.summaries, [id]: text } };
      return ed.moveStory(composed, cur, id, op);
    };
    const done = await reviewQ.updateReviewEdits(deps.db, e.id, change);
    if (!done) return reply.redirect(`/reports/${e.date}/detail?error=tooLate`, 303);
    if (done.changed)
      await auditWeb(req, deps, `report.review.${op}`, `edition:${e.date}`, {
        article_id: id,
        title: story.title,
        ...(op === 'summary'
          ? { before: ed.normalizeEdits(done.before).summaries[id] ?? story.summary, after: text }
          : { before: ed.normalizeEdits(done.before), after: done.after }),
      });
    return reply.redirect(`/reports/${e.date}/review?done=saved#s${id}`, 303);
  });
};
