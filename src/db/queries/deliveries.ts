import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { deliveryLog } from '../schema/index.ts';
import type { DeliveryStatus } from '../schema/index.ts';

export type DeliveryRow = typeof deliveryLog.$inferSelect;

/** Writes a `queued` row per recipient that has none for the edition (existing rows are left as they are). */
export async function queueDeliveries(db: Db, editionId: number, list: { recipientId: number; email: string }[]): Promise<number> {
  if (list.length === 0) return 0;
  const rows = await db.insert(deliveryLog).values(list.map((r) => ({ editionId, recipientId: r.recipientId, email: r.email })))
    .onConflictDoNothing({ target: [deliveryLog.editionId, deliveryLog.recipientId] }).returning({ id: deliveryLog.id });
  return rows.length;
}

/**
 * Rows left in `sending` by a crashed sender: the SMTP transaction may have completed, so they become
 * `uncertain` (visible, resendable by an operator) instead of being sent again.
 */
export async function markInterruptedUncertain(db: Db, editionId: number): Promise<number> {
  const rows = await db.update(deliveryLog)
    .set({ status: 'uncertain', error: 'interrupted while sending: the message may or may not have been delivered', updatedAt: new Date() })
    .where(and(eq(deliveryLog.editionId, editionId), eq(deliveryLog.status, 'sending'))).returning({ id: deliveryLog.id });
  return rows.length;
}

/** Rows still to send for an edition. */
export async function listPendingDeliveries(db: Db, editionId: number): Promise<DeliveryRow[]> {
  return db.select().from(deliveryLog)
    .where(and(eq(deliveryLog.editionId, editionId), inArray(deliveryLog.status, ['queued', 'retrying'])))
    .orderBy(asc(deliveryLog.id));
}

/** Claims a row for sending (only from queued/retrying), recording the Message-ID before the SMTP transaction. */
export async function claimDelivery(db: Db, id: number, messageId: string, transport: string): Promise<boolean> {
  const rows = await db.update(deliveryLog)
    .set({ status: 'sending', attempts: sql`${deliveryLog.attempts} + 1`, messageId, transport, sendingAt: new Date(), updatedAt: new Date() })
    .where(and(eq(deliveryLog.id, id), inArray(deliveryLog.status, ['queued', 'retrying']))).returning({ id: deliveryLog.id });
  return rows.length === 1;
}

export async function finishDelivery(db: Db, id: number, status: Extract<DeliveryStatus, 'sent' | 'failed' | 'retrying'>, info: { reply: string | null; error: string | null; nextAttemptAt?: Date | null }): Promise<void> {
  const now = new Date();
  await db.update(deliveryLog).set({
    status, lastReply: info.reply, error: info.error, nextAttemptAt: info.nextAttemptAt ?? null, updatedAt: now,
    ...(status === 'sent' ? { sentAt: now } : {}),
  }).where(eq(deliveryLog.id, id));
}

/** Counts of an edition's delivery rows by status. */
export async function deliveryCounts(db: Db, editionId: number): Promise<Record<DeliveryStatus, number>> {
  const rows = await db.select({ status: deliveryLog.status, n: sql<number>`count(*)::int` }).from(deliveryLog)
    .where(eq(deliveryLog.editionId, editionId)).groupBy(deliveryLog.status);
  const out: Record<DeliveryStatus, number> = { queued: 0, sending: 0, sent: 0, retrying: 0, failed: 0, uncertain: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

export async function listDeliveries(db: Db, editionId: number): Promise<DeliveryRow[]> {
  return db.select().from(deliveryLog).where(eq(deliveryLog.editionId, editionId)).orderBy(asc(deliveryLog.id));
}
