import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { deliveryLog, editions, recipients } from '../schema/index.ts';
import type { DeliveryStatus } from '../schema/index.ts';
import { likePattern } from './console-recipients.ts';

/** The console's status filter: `pending` is every row not finished yet. */
export type DeliveryFilterStatus = 'sent' | 'failed' | 'uncertain' | 'pending';

const STATUSES: Record<DeliveryFilterStatus, DeliveryStatus[]> = {
  sent: ['sent'],
  failed: ['failed'],
  uncertain: ['uncertain'],
  pending: ['queued', 'sending', 'retrying'],
};

/** The console's filters of the delivery log; absent fields do not filter. */
export interface DeliveryFilter {
  /** An edition's date. */
  edition?: string;
  status?: DeliveryFilterStatus;
  /** Part of the recipient's address. */
  recipient?: string;
  group?: string;
}

/** One delivery row as the console lists it. */
export interface DeliveryListRow {
  id: number;
  date: string;
  email: string;
  name: string | null;
  status: DeliveryStatus;
  attempts: number;
  replyCode: number | null;
  lastReply: string | null;
  error: string | null;
  messageId: string | null;
  resends: number;
  queuedAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
}

function where(f: DeliveryFilter): SQL | undefined {
  return and(
    f.edition ? eq(editions.date, f.edition) : undefined,
    f.status ? inArray(deliveryLog.status, STATUSES[f.status]) : undefined,
    f.recipient ? sql`${deliveryLog.email} ilike ${likePattern(f.recipient)}` : undefined,
    f.group ? sql`${recipients.groups} @> jsonb_build_array(${f.group}::text)` : undefined,
  );
}

/** One page of the delivery log, newest first, with the total of the filter (one statement). */
export async function pageDeliveries(
  db: Db,
  f: DeliveryFilter,
  page: number,
  pageSize: number,
): Promise<{ rows: DeliveryListRow[]; total: number }> {
  const list = await db
    .select({
      id: deliveryLog.id,
      date: editions.date,
      email: deliveryLog.email,
      name: recipients.name,
      status: deliveryLog.status,
      attempts: deliveryLog.attempts,
      replyCode: deliveryLog.replyCode,
      lastReply: deliveryLog.lastReply,
      error: deliveryLog.error,
      messageId: deliveryLog.messageId,
      resends: deliveryLog.resends,
      queuedAt: deliveryLog.queuedAt,
      sentAt: deliveryLog.sentAt,
      updatedAt: deliveryLog.updatedAt,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(deliveryLog)
    .innerJoin(editions, eq(editions.id, deliveryLog.editionId))
    .innerJoin(recipients, eq(recipients.id, deliveryLog.recipientId))
    .where(where(f))
    .orderBy(desc(deliveryLog.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  let total = list[0]?.total ?? 0;
  if (list.length === 0 && page > 1) {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(deliveryLog)
      .innerJoin(editions, eq(editions.id, deliveryLog.editionId))
      .innerJoin(recipients, eq(recipients.id, deliveryLog.recipientId))
      .where(where(f));
    total = row?.n ?? 0;
  }
  return { rows: list.map(({ total: _t, ...r }) => r), total };
}

/** The dates of the editions that have delivery rows, newest first. */
export async function deliveredEditionDates(db: Db, limit = 120): Promise<string[]> {
  const rows = await db
    .select({ date: editions.date })
    .from(editions)
    .where(sql`exists (select 1 from delivery_log d where d.edition_id = ${editions.id})`)
    .orderBy(desc(editions.date))
    .limit(limit);
  return rows.map((r) => r.date);
}

/**
 * An operator's resolution of `uncertain` rows whose message did arrive (the recipient or the provider's log
 * says so): they become `sent`, with the resolution in their history. Only `uncertain` rows move — a row a
 * worker finished meanwhile keeps its real outcome. Returns the addresses marked.
 */
export async function markUncertainSent(
  db: Db,
  o: { editionId: number; emails?: readonly string[]; note: string },
): Promise<string[]> {
  const emails = o.emails?.map((e) => e.trim().toLowerCase());
  const res = await db
    .update(deliveryLog)
    .set({
      status: 'sent',
      sentAt: sql`coalesce(${deliveryLog.sendingAt}, now())`,
      error: null,
      history: sql`${deliveryLog.history} || jsonb_build_array(jsonb_build_object(
        'at', now(), 'status', 'sent', 'message_id', ${deliveryLog.messageId}, 'reply_code', null,
        'reply', null, 'error', ${o.note}::text, 'owner', null))`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveryLog.editionId, o.editionId),
        eq(deliveryLog.status, 'uncertain'),
        emails ? inArray(sql`lower(${deliveryLog.email})`, emails) : undefined,
      ),
    )
    .returning({ email: deliveryLog.email });
  return res.map((r) => r.email);
}
