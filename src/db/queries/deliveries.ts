import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { deliveryLog, editions } from '../schema/index.ts';
import type { DeliveryStatus } from '../schema/index.ts';
import * as lease from './lease.ts';
import { rows } from './lease.ts';

export type DeliveryRow = typeof deliveryLog.$inferSelect;

/** The statuses a delivery loop may still send from. */
const PENDING: DeliveryStatus[] = ['queued', 'retrying'];

/** `and r.groups ?| …` when the edition targets groups (`r` is the recipients table), nothing otherwise. */
function groupFilter(groups: readonly string[] | null | undefined): SQL {
  if (!groups || groups.length === 0) return sql``;
  return sql`and r.groups ?| array(select jsonb_array_elements_text(${JSON.stringify(groups)}::jsonb))`;
}

/** A history entry over the row's columns before the update (its Message-ID, its owner). */
function entry(
  status: DeliveryStatus,
  e: { replyCode: number | null; reply: string | null; error: string | null },
): SQL {
  return sql`jsonb_build_object('at', now(), 'status', ${status}::text, 'message_id', message_id,
    'reply_code', ${e.replyCode}::int, 'reply', ${e.reply}::text, 'error', ${e.error}::text, 'owner', lease_owner)`;
}

const DELIVERY_LOG: lease.LeaseLog = {
  table: 'delivery_log',
  label: 'email',
  entry: (status, error) => entry(status, { replyCode: null, reply: null, error }),
};

/** An edition's rows whose recipient is still enabled, subscribed and (when given) in one of `groups`. */
function scope(groups: readonly string[] | null | undefined): lease.LeaseScope {
  return {
    join: sql`join recipients r on r.id = x.recipient_id`,
    where: sql`and r.enabled and r.unsubscribed_at is null ${groupFilter(groups)}`,
  };
}

/** Writes a `queued` row per recipient that has none for the edition (existing rows are left as they are). */
export async function queueDeliveries(
  db: Db,
  editionId: number,
  list: { recipientId: number; email: string }[],
): Promise<number> {
  let added = 0;
  for (let i = 0; i < list.length; i += 500) {
    const chunk = list.slice(i, i + 500);
    const res = await db
      .insert(deliveryLog)
      .values(chunk.map((r) => ({ editionId, recipientId: r.recipientId, email: r.email })))
      .onConflictDoNothing({ target: [deliveryLog.editionId, deliveryLog.recipientId] })
      .returning({ id: deliveryLog.id });
    added += res.length;
  }
  return added;
}

/** A row leased for sending, with the recipient's current address and name. */
export interface LeasedDelivery {
  id: number;
  recipientId: number;
  attempts: number;
  status: DeliveryStatus;
  email: string;
  name: string | null;
}

/**
 * Leases the next due row of the edition whose recipient is still enabled, subscribed and (when given) in
 * one of `groups`, with the recipient's current address (see lease.ts `leaseNext`).
 */
export async function leaseNextDelivery(
  db: Db,
  o: { editionId: number; owner: string; leaseMs: number; groups?: readonly string[] | null },
): Promise<LeasedDelivery | null> {
  const row = await lease.leaseNext<{
    id: string | number;
    recipient_id: number;
    attempts: number;
    status: DeliveryStatus;
    email: string;
    name: string | null;
  }>(db, DELIVERY_LOG, scope(o.groups), {
    ...o,
    columns: sql`x.id, x.recipient_id, x.attempts, x.status, r.email, r.name`,
  });
  return row
    ? {
        id: Number(row.id),
        recipientId: row.recipient_id,
        attempts: row.attempts,
        status: row.status,
        email: row.email,
        name: row.name,
      }
    : null;
}

/** What is left to do for an edition, from one worker's point of view. */
export async function pendingState(
  db: Db,
  o: { editionId: number; owner: string; groups?: readonly string[] | null },
): Promise<lease.PendingState> {
  return lease.pendingState(db, DELIVERY_LOG, scope(o.groups), o);
}

/**
 * Marks a leased row `sending` just before the SMTP transaction, with the Message-ID this attempt uses.
 * Returns the attempt number, or null when the lease was lost (another worker owns the row now).
 */
export async function startSending(
  db: Db,
  o: { id: number; owner: string; messageId: string; transport: string; leaseMs: number },
): Promise<number | null> {
  const [row] = await db
    .update(deliveryLog)
    .set({
      status: 'sending',
      attempts: sql`${deliveryLog.attempts} + 1`,
      messageId: o.messageId,
      transport: o.transport,
      sendingAt: sql`now()`,
      leaseExpiresAt: lease.leaseUntil(o.leaseMs),
      updatedAt: sql`now()`,
    })
    .where(and(eq(deliveryLog.id, o.id), eq(deliveryLog.leaseOwner, o.owner), inArray(deliveryLog.status, PENDING)))
    .returning({ attempts: deliveryLog.attempts });
  return row?.attempts ?? null;
}

/** The end of one attempt. */
export interface AttemptEnd {
  status: Extract<DeliveryStatus, 'sent' | 'retrying' | 'failed' | 'uncertain'>;
  replyCode: number | null;
  reply: string | null;
  error: string | null;
  /** For `retrying`: when the row is due again. */
  retryInMs?: number;
}

/**
 * Records how an attempt ended and releases the row. Fenced by the attempt's Message-ID: a row an operator
 * re-queued meanwhile is left alone, and a row another worker declared `uncertain` (this one looked dead)
 * gets the real outcome. Returns false when nothing was written.
 */
export async function finishAttempt(db: Db, id: number, messageId: string, end: AttemptEnd): Promise<boolean> {
  const res = await db
    .update(deliveryLog)
    .set({
      status: end.status,
      replyCode: end.replyCode,
      lastReply: end.reply,
      error: end.error,
      nextAttemptAt: end.status === 'retrying' ? lease.leaseUntil(end.retryInMs ?? 0) : null,
      ...(end.status === 'sent' ? { sentAt: sql`now()` } : {}),
      history: sql`${deliveryLog.history} || jsonb_build_array(${entry(end.status, end)})`,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveryLog.id, id),
        eq(deliveryLog.messageId, messageId),
        inArray(deliveryLog.status, ['sending', 'uncertain']),
      ),
    )
    .returning({ id: deliveryLog.id });
  return res.length === 1;
}

/**
 * The lease statements of delivery_log (lease.ts): `failUnsent` for a message that could not even be built (a
 * malformed address); `markAbandonedUncertain` for a `sending` row whose worker is gone — the SMTP transaction
 * may have completed, so it is never re-sent automatically.
 */
export const {
  failUnsent,
  renewLeases,
  releaseLeases,
  releaseLease,
  markUncertain: markAbandonedUncertain,
} = lease.statementsFor(DELIVERY_LOG);

/** A leased row of another worker (or an expired one of `owner`), for deciding whether that worker is gone. */
export async function listForeignLeases(
  db: Db,
  editionId: number,
  owner: string,
): Promise<(Omit<lease.ForeignLease, 'label'> & { email: string })[]> {
  const list = await lease.listForeignLeases(db, DELIVERY_LOG, editionId, owner);
  return list.map(({ label, ...f }) => ({ ...f, email: label }));
}

/**
 * Counts of an edition's delivery rows by status — only of recipients in `groups` when given, and only of
 * enabled, subscribed recipients with `activeOnly`. Without either, the kept tallies (`delivery_counts`,
 * exact: a trigger on `delivery_log` keeps them) answer without counting the edition's rows.
 */
export async function deliveryCounts(
  db: Db,
  editionId: number,
  groups?: readonly string[] | null,
  opts: { activeOnly?: boolean } = {},
): Promise<Record<DeliveryStatus, number>> {
  const list =
    !groups?.length && !opts.activeOnly
      ? await rows<{ status: DeliveryStatus; n: number }>(
          db,
          sql`select status, n from delivery_counts where edition_id = ${editionId} and n <> 0`,
        )
      : await rows<{ status: DeliveryStatus; n: number }>(
          db,
          sql`
    select d.status, count(*)::int as n from delivery_log d join recipients r on r.id = d.recipient_id
    where d.edition_id = ${editionId} ${groupFilter(groups)} ${opts.activeOnly ? sql`and r.enabled and r.unsubscribed_at is null` : sql``}
    group by d.status`,
        );
  const out: Record<DeliveryStatus, number> = { queued: 0, sending: 0, sent: 0, retrying: 0, failed: 0, uncertain: 0 };
  for (const r of list) out[r.status] = r.n;
  return out;
}

export async function listDeliveries(db: Db, editionId: number): Promise<DeliveryRow[]> {
  return db.select().from(deliveryLog).where(eq(deliveryLog.editionId, editionId)).orderBy(asc(deliveryLog.id));
}

/** The stored parts of an edition the deliver stage can send from, by date. */
export interface DeliverableEdition {
  id: number;
  date: string;
  status: string;
  subject: string | null;
  htmlPath: string | null;
  textPath: string | null;
  xlsxPath: string | null;
}

export async function findEditionByDate(db: Db, date: string): Promise<DeliverableEdition | null> {
  const [row] = await db
    .select({
      id: editions.id,
      date: editions.date,
      status: editions.status,
      subject: editions.subject,
      htmlPath: editions.htmlPath,
      textPath: editions.textPath,
      xlsxPath: editions.xlsxPath,
    })
    .from(editions)
    .where(eq(editions.date, date));
  return row ?? null;
}

/**
 * An operator's resend: puts an edition's rows back into the queue (attempts start again; the earlier
 * Message-IDs stay in `history`). Only rows in `statuses` move; a row being sent never does.
 * Returns the re-queued rows' addresses.
 */
export async function requeueDeliveries(
  db: Db,
  o: { editionId: number; emails?: readonly string[]; statuses: readonly DeliveryStatus[] },
): Promise<string[]> {
  const statuses = o.statuses.filter((s) => s !== 'sending');
  if (statuses.length === 0) return [];
  const emails = o.emails?.map((e) => e.trim().toLowerCase());
  const res = await db
    .update(deliveryLog)
    .set({
      status: 'queued',
      attempts: 0,
      nextAttemptAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      error: 'resend requested by an operator',
      resends: sql`${deliveryLog.resends} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveryLog.editionId, o.editionId),
        inArray(deliveryLog.status, statuses),
        emails ? inArray(sql`lower(${deliveryLog.email})`, emails) : undefined,
      ),
    )
    .returning({ email: deliveryLog.email });
  return res.map((r) => r.email);
}
