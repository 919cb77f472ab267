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
    f.edition ? sql`${deliveryLog.editionId} = (select e.id from editions e where e.date = ${f.edition})` : undefined,
    f.status ? inArray(deliveryLog.status, STATUSES[f.status]) : undefined,
    f.recipient ? sql`${deliveryLog.email} ilike ${likePattern(f.recipient)}` : undefined,
    f.group
      ? sql`exists (select 1 from recipients r where r.id = ${deliveryLog.recipientId}
                    and r.groups @> jsonb_build_array(${f.group}::text))`
      : undefined,
  );
}

/**
 * The pager's total counts at most this many rows (then it says "more"): counting every row of a 300,000-row
 * log to show page 1 would cost more than the page.
 * @defaultValue 10,000
 */
export const COUNT_CAP = 10_000;

/**
 * The filter's total: exact from the kept tallies (`delivery_counts`) when it filters by edition and status
 * only, else a count of `delivery_log` alone (no joins) stopping at {@link COUNT_CAP} + 1 rows.
 */
async function countDeliveries(db: Db, f: DeliveryFilter): Promise<{ total: number; capped: boolean }> {
  if (!f.recipient && !f.group) {
    const res = (await db.execute(
      sql`select coalesce(sum(n), 0)::int as n from delivery_counts where ${
        and(
          f.edition ? sql`edition_id = (select e.id from editions e where e.date = ${f.edition})` : undefined,
          f.status
            ? sql`status in (${sql.join(
                STATUSES[f.status].map((x) => sql`${x}`),
                sql`, `,
              )})`
            : undefined,
        ) ?? sql`true`
      }`,
    )) as unknown as { rows: { n: number }[] };
    return { total: Number(res.rows[0]?.n ?? 0), capped: false };
  }
  const res = (await db.execute(
    sql`select count(*)::int as n from (select 1 from ${deliveryLog} where ${where(f) ?? sql`true`} limit ${COUNT_CAP + 1}) x`,
  )) as unknown as { rows: { n: number }[] };
  const n = Number(res.rows[0]?.n ?? 0);
  return n > COUNT_CAP ? { total: COUNT_CAP, capped: true } : { total: n, capped: false };
}

/**
 * One page of the delivery log, newest first (the primary key backwards, stopping at the page), with the
 * filter's total ({@link countDeliveries}: `capped` when there are more than `total`).
 */
export async function pageDeliveries(
  db: Db,
  f: DeliveryFilter,
  page: number,
  pageSize: number,
): Promise<{ rows: DeliveryListRow[]; total: number; capped: boolean }> {
  const [rows, counted] = await Promise.all([
    db
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
      })
      .from(deliveryLog)
      .innerJoin(editions, eq(editions.id, deliveryLog.editionId))
      .innerJoin(recipients, eq(recipients.id, deliveryLog.recipientId))
      .where(where(f))
      .orderBy(desc(deliveryLog.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    countDeliveries(db, f),
  ]);
  return { rows, ...counted };
}

/** The dates of the editions that have delivery rows (mail or chat channel), newest first. */
export async function deliveredEditionDates(db: Db, limit = 120): Promise<string[]> {
  const rows = await db
    .select({ date: editions.date })
    .from(editions)
    .where(
      // `editions.id` written out: drizzle renders a column of the main table unqualified, and inside the
      // subquery a bare "id" would be the log row's own id.
      sql`exists (select 1 from delivery_log d where d.edition_id = editions.id)
          or exists (select 1 from channel_log c where c.edition_id = editions.id)`,
    )
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
