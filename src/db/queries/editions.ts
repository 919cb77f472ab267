import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { editions, reportItems } from '../schema/index.ts';
import type { EditionStatus } from '../schema/index.ts';

export type EditionRow = typeof editions.$inferSelect;

/** The edition of a date, created on first use (a re-run finds the same row). */
export async function ensureEdition(db: Db, date: string, windowFrom: Date, windowTo: Date): Promise<EditionRow> {
  await db.insert(editions).values({ date, windowFrom, windowTo }).onConflictDoNothing({ target: editions.date });
  const [row] = await db.select().from(editions).where(eq(editions.date, date));
  return row!;
}

export async function updateEdition(
  db: Db,
  id: number,
  patch: Partial<Omit<EditionRow, 'id' | 'date'>>,
): Promise<void> {
  await db.update(editions).set(patch).where(eq(editions.id, id));
}

export async function setEditionStatus(db: Db, id: number, status: EditionStatus): Promise<void> {
  await db.update(editions).set({ status }).where(eq(editions.id, id));
}

/** A ranked story to store with the edition. */
export interface ReportItemInput {
  articleId: number;
  clusterId: number | null;
  section: string;
  rank: number;
  top: boolean;
  score: number;
  factors: Record<string, number>;
}

/** Replaces the edition's report items: upserts the new ranking and drops stories no longer in it. */
export async function saveReportItems(db: Db, editionId: number, items: ReportItemInput[]): Promise<{ added: number }> {
  return db.transaction(async (tx) => {
    const ids = items.map((i) => i.articleId);
    if (ids.length > 0) {
      await tx
        .delete(reportItems)
        .where(and(eq(reportItems.editionId, editionId), notInArray(reportItems.articleId, ids)));
    } else {
      await tx.delete(reportItems).where(eq(reportItems.editionId, editionId));
    }
    let added = 0;
    for (const i of items) {
      const [row] = await tx
        .insert(reportItems)
        .values({ editionId, ...i })
        .onConflictDoUpdate({
          target: [reportItems.editionId, reportItems.articleId],
          set: {
            clusterId: i.clusterId,
            section: i.section,
            rank: i.rank,
            top: i.top,
            score: i.score,
            factors: i.factors,
          },
        })
        .returning({ inserted: sql<boolean>`(xmax = 0)` });
      if (row?.inserted) added++;
    }
    return { added };
  });
}

export async function countReportItems(db: Db, editionId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(reportItems)
    .where(eq(reportItems.editionId, editionId));
  return row?.n ?? 0;
}

export async function getEdition(db: Db, id: number): Promise<EditionRow | null> {
  const [row] = await db.select().from(editions).where(eq(editions.id, id));
  return row ?? null;
}

export async function findEditionByDate(db: Db, date: string): Promise<EditionRow | null> {
  const [row] = await db.select().from(editions).where(eq(editions.date, date));
  return row ?? null;
}

/** The newest editions first, without their stored model (the API's report list). */
export async function listEditions(db: Db, limit = 60) {
  return db
    .select({
      id: editions.id,
      date: editions.date,
      status: editions.status,
      subject: editions.subject,
      itemCount: editions.itemCount,
      windowFrom: editions.windowFrom,
      windowTo: editions.windowTo,
      createdAt: editions.createdAt,
      composedAt: editions.composedAt,
      deliveredAt: editions.deliveredAt,
    })
    .from(editions)
    .orderBy(sql`${editions.date} desc`)
    .limit(limit);
}
