import type { Config } from '../../config/index.ts';
import { editionsQ } from '../../db/queries/index.ts';
import * as reviewQ from '../../db/queries/review.ts';
import { zonedToUtc } from '../../lib/time.ts';
import { isUnavailable } from '../errors.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import type { Composed } from './compose.ts';
import { eventText } from '../event-texts.ts';

/** How the draft left review: an editor's approval (with or without edits), or its deadline (as composed). */
export interface Reviewed {
  outcome: 'approved' | 'deadline';
  by: string;
  edited: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When a draft composed at `composedAt` goes out unapproved: `REPORT_REVIEW_DEADLINE` as `<N>m` after
 * compose, or `HH:MM` in TZ on the edition's date (a draft composed after that time goes out at once).
 */
export function reviewDeadline(config: Config, date: string, composedAt: Date): Date {
  const d = config.report.review.deadline;
  const minutes = /^(\d+)m$/.exec(d);
  if (minutes) return new Date(composedAt.getTime() + Number(minutes[1]) * 60_000);
  const [y, m, day] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = d.split(':').map(Number) as [number, number];
  return zonedToUtc(y, m, day, hh, mm, config.timeZone);
}

/**
 * The editorial gate (`REPORT_REVIEW=true`): the composed edition waits as a draft (edition status `review`)
 * until an editor approves it on `/reports/<date>/review` or its deadline passes. The wait is a state of the
 * edition's row, polled: a worker killed meanwhile leaves nothing behind but that row, and the run resumed
 * elsewhere finds its review as it was. Approved with edits, the report is drawn again from the edited model
 * before it is sent; at the deadline it goes out as composed. Off (the default), and for dry runs: nothing.
 */
export async function reviewPhase(deps: EditionDeps, run: EditionRun, composed: Composed): Promise<Reviewed | null> {
  if (!deps.config.report.review.enabled || run.data.dryRun) return null;
  return run.stages.run(
    'review',
    async () => {
      const deadline = reviewDeadline(deps.config, run.data.date, deps.now());
      const opened = await reviewQ.openReview(deps.db, run.editionId, run.runId, deadline);
      if (!opened.approvedAt)
        await run.stages.event(
          'review',
          'info',
          eventText('review.waiting', { deadline: String(opened.deadlineAt?.toISOString()) }),
        );
      const reviewed = await awaitDecision(deps, run);
      if (reviewed.edited) await redraw(deps, run, composed);
      return reviewed;
    },
    (r) =>
      r.outcome === 'approved'
        ? eventText(r.edited ? 'review.approvedEdited' : 'review.approved', { by: r.by })
        : eventText('review.deadline'),
  );
}

/** Polls the edition's row until it is approved, or closes the review itself at the deadline. */
async function awaitDecision(deps: EditionDeps, run: EditionRun): Promise<Reviewed> {
  const pollMs = deps.pollMs ?? (deps.queue.kind === 'bullmq' ? 1000 : 200);
  for (;;) {
    run.job?.signal.throwIfAborted();
    try {
      const s = await reviewQ.reviewState(deps.db, run.editionId);
      if (!s) throw new Error(`edition ${run.data.date} vanished during review`);
      if (s.approvedAt) {
        const { hasEdits, normalizeEdits } = await import('../../report/review-edits.ts');
        const deadline = s.approvedBy === 'deadline';
        return {
          outcome: deadline ? 'deadline' : 'approved',
          by: s.approvedBy ?? '?',
          edited: !deadline && hasEdits(normalizeEdits(s.edits)),
        };
      }
      const now = deps.now();
      if (s.deadlineAt && now.getTime() >= s.deadlineAt.getTime()) {
        if (await reviewQ.closeReviewAtDeadline(deps.db, run.editionId, run.runId, now))
          return { outcome: 'deadline', by: 'deadline', edited: false };
        continue; // an editor approved it at the same moment: read their approval
      }
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      deps.log.warn({ run_id: run.runId, err: (err as Error).message }, 'review: could not read the edition; retrying');
    }
    await sleep(pollMs);
  }
}

/**
 * The approved edits applied to the stored model (idempotent: a resumed run applies them to its fresh
 * model again), and the email, text, workbook and web view drawn again from it.
 */
async function redraw(deps: EditionDeps, run: EditionRun, composed: Composed): Promise<void> {
  const [{ writeReportFiles }, { loadReportModel, storeReportModel }, { applyReviewEdits, normalizeEdits }] =
    await Promise.all([
      import('../../report/build.ts'),
      import('../../report/stored-model.ts'),
      import('../../report/review-edits.ts'),
    ]);
  const edition = await editionsQ.getEdition(deps.db, run.editionId);
  if (!edition?.model) throw new Error(`edition ${run.data.date} has no composed model to apply the edits to`);
  const model = applyReviewEdits(loadReportModel(edition.model), normalizeEdits(edition.reviewEdits));
  await editionsQ.updateEdition(deps.db, run.editionId, {
    model: storeReportModel(model),
    itemCount: model.top.length + model.sections.reduce((n, s) => n + s.items.length, 0),
  });
  const files = await writeReportFiles(model, composed.files.dir, { charts: { log: deps.log } });
  await editionsQ.updateEdition(deps.db, run.editionId, { subject: files.subject });
  deps.composed?.set(run.editionId, files);
  composed.files = files;
}
