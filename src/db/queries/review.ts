/**
 * The editorial gate's state (REPORT_REVIEW), kept on the edition's row so that the wait survives any process:
 * the orchestrator opens a review and polls it, editors edit and approve from the web, and whichever of the
 * approval and the deadline comes first closes it (each a conditional update: only one of them can win).
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { editions } from '../schema/index.ts';
import type { ReviewEdits } from '../schema/index.ts';

/** Where a review stands. */
export interface ReviewState {
  editionId: number;
  date: string;
  status: string;
  runId: number | null;
  deadlineAt: Date | null;
  approvedAt: Date | null;
  approvedBy: string | null;
  edits: ReviewEdits | null;
}

const cols = {
  editionId: editions.id,
  date: editions.date,
  status: editions.status,
  runId: editions.reviewRunId,
  deadlineAt: editions.reviewDeadlineAt,
  approvedAt: editions.approvedAt,
  approvedBy: editions.approvedBy,
  edits: editions.reviewEdits,
};

export async function reviewState(db: Db, editionId: number): Promise<ReviewState | null> {
  const [row] = await db.select(cols).from(editions).where(eq(editions.id, editionId));
  return row ?? null;
}

/**
 * Puts the run's composed edition up for review until `deadlineAt`; a run resumed after a crash finds its
 * review as it was (same deadline, its approval kept). A new run of the date opens a new review; the edits
 * made before are kept (they name stories by article id).
 */
export async function openReview(db: Db, editionId: number, runId: number, deadlineAt: Date): Promise<ReviewState> {
  await db
    .update(editions)
    .set({ reviewRunId: runId, reviewDeadlineAt: deadlineAt, approvedAt: null, approvedBy: null })
    .where(and(eq(editions.id, editionId), sql`${editions.reviewRunId} is distinct from ${runId}`));
  // Waiting, unless this run's review was already decided (a resumed run goes straight on).
  await db
    .update(editions)
    .set({ status: 'review' })
    .where(and(eq(editions.id, editionId), isNull(editions.approvedAt)));
  return (await reviewState(db, editionId))!;
}

/** Closes a review nobody approved in time: it goes out as composed. False when an approval came first. */
export async function closeReviewAtDeadline(db: Db, editionId: number, runId: number, at: Date): Promise<boolean> {
  const rows = await db
    .update(editions)
    .set({ approvedAt: at, approvedBy: 'deadline', status: 'composed' })
    .where(and(eq(editions.id, editionId), eq(editions.reviewRunId, runId), isNull(editions.approvedAt)))
    .returning({ id: editions.id });
  return rows.length > 0;
}

/** An editor's approval of the draft under review. False when it is no longer waiting (approved, or sent at its deadline). */
export async function approveReview(db: Db, editionId: number, runId: number, by: string): Promise<boolean> {
  const rows = await db
    .update(editions)
    .set({ approvedAt: sql`now()`, approvedBy: by })
    .where(
      and(
        eq(editions.id, editionId),
        eq(editions.reviewRunId, runId),
        eq(editions.status, 'review'),
        isNull(editions.approvedAt),
      ),
    )
    .returning({ id: editions.id });
  return rows.length > 0;
}

/**
 * Changes the edits of a draft still waiting, in one transaction (two editors at once each see the other's
 * change); `change` returns null to change nothing. Null when the draft is no longer waiting.
 */
export async function updateReviewEdits(
  db: Db,
  editionId: number,
  change: (current: ReviewEdits | null) => ReviewEdits | null,
): Promise<{ before: ReviewEdits | null; after: ReviewEdits | null; changed: boolean } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ edits: editions.reviewEdits })
      .from(editions)
      .where(and(eq(editions.id, editionId), eq(editions.status, 'review'), isNull(editions.approvedAt)))
      .for('update');
    if (!row) return null;
    const after = change(row.edits);
    if (!after) return { before: row.edits, after: row.edits, changed: false };
    await tx.update(editions).set({ reviewEdits: after }).where(eq(editions.id, editionId));
    return { before: row.edits, after, changed: true };
  });
}
