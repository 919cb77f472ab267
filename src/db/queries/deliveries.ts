import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { deliveryLog, editions } from '../schema/index.ts';
import type { DeliveryStatus } from '../schema/index.ts';

export type DeliveryRow = typeof deliveryLog.$inferSelect;

/** The statuses a delivery loop may still send from. */
const PENDING: DeliveryStatus[] = ['queued', 'retrying'];

/** `db.execute` returns `{ rows }` on both drivers (node-postgres and PGlite). */
async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

/** `and r.groups ?| …` when the edition targets groups (`r` is the recipients table), nothing otherwise. */
function groupFilter(groups: readonly string[] | null | undefined): SQL {
  if (!groups || groups.length === 0) return sql``;
  return sql`and r.groups ?| array(select jsonb_array_elements_text(${JSON.stringify(groups)}::jsonb))`;
}

const lease = (ms: number) => sql`now() + (${Math.round(ms)}::int * interval '1 millisecond')`;

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
 * Leases the next row that is due (queued, or retrying with `next_attempt_at` passed), not leased by a live
 * worker, whose recipient is still enabled, subscribed and (when given) in one of `groups`. Workers never
 * block each other (`FOR UPDATE SKIP LOCKED`); under contention it may return null although rows are left —
 * ask {@link pendingState}.
 */
export async function leaseNextDelivery(
  db: Db,
  o: { editionId: number; owner: string; leaseMs: number; groups?: readonly string[] | null },
): Promise<LeasedDelivery | null> {
  const [row] = await rows<{
    id: string | number;
    recipient_id: number;
    attempts: number;
    status: DeliveryStatus;
    email: string;
    name: string | null;
  }>(
    db,
    sql`
    update delivery_log d set lease_owner = ${o.owner}, lease_expires_at = ${lease(o.leaseMs)}, updated_at = now()
    from recipients r
    where r.id = d.recipient_id and d.id = (
      select x.id from delivery_log x join recipients r on r.id = x.recipient_id
      where x.edition_id = ${o.editionId} and x.status in ('queued', 'retrying')
        and (x.next_attempt_at is null or x.next_attempt_at <= now())
        and (x.lease_owner is null or x.lease_expires_at is null or x.lease_expires_at < now())
        and r.enabled and r.unsubscribed_at is null ${groupFilter(o.groups)}
      order by x.id limit 1
      for update of x skip locked)
    returning d.id, d.recipient_id, d.attempts, d.status, r.email, r.name`,
  );
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
export interface PendingState {
  /** Rows due now and free to lease. */
  ready: number;
  /** Milliseconds until the next retry is due (rows free to lease later), or null. */
  nextDueMs: number | null;
  /** Pending or sending rows leased by other workers. */
  leasedElsewhere: number;
}

export async function pendingState(
  db: Db,
  o: { editionId: number; owner: string; groups?: readonly string[] | null },
): Promise<PendingState> {
  const [row] = await rows<{ ready: number; next_due_ms: number | null; elsewhere: number }>(
    db,
    sql`
    select
      count(*) filter (where x.status in ('queued', 'retrying') and free and (x.next_attempt_at is null or x.next_attempt_at <= now()))::int as ready,
      ceil(extract(epoch from min(x.next_attempt_at - now()) filter (where x.status in ('queued', 'retrying') and free and x.next_attempt_at > now())) * 1000)::int as next_due_ms,
      count(*) filter (where not free and x.lease_owner <> ${o.owner})::int as elsewhere
    from (select d.*, (d.lease_owner is null or d.lease_expires_at is null or d.lease_expires_at < now()) as free from delivery_log d) x
    join recipients r on r.id = x.recipient_id
    where x.edition_id = ${o.editionId} and x.status in ('queued', 'retrying', 'sending')
      and r.enabled and r.unsubscribed_at is null ${groupFilter(o.groups)}`,
  );
  return { ready: row?.ready ?? 0, nextDueMs: row?.next_due_ms ?? null, leasedElsewhere: row?.elsewhere ?? 0 };
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
      leaseExpiresAt: lease(o.leaseMs),
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

function historyEntry(
  status: DeliveryStatus,
  e: { replyCode: number | null; reply: string | null; error: string | null },
): SQL {
  return sql`${deliveryLog.history} || jsonb_build_array(jsonb_build_object(
    'at', now(), 'status', ${status}::text, 'message_id', ${deliveryLog.messageId}, 'reply_code', ${e.replyCode}::int,
    'reply', ${e.reply}::text, 'error', ${e.error}::text, 'owner', ${deliveryLog.leaseOwner}))`;
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
      nextAttemptAt: end.status === 'retrying' ? lease(end.retryInMs ?? 0) : null,
      ...(end.status === 'sent' ? { sentAt: sql`now()` } : {}),
      history: historyEntry(end.status, end),
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

/** A message that could not even be built (a malformed address): the leased row fails without an attempt. */
export async function failUnsent(db: Db, id: number, owner: string, error: string): Promise<boolean> {
  const res = await db
    .update(deliveryLog)
    .set({
      status: 'failed',
      error,
      replyCode: null,
      lastReply: null,
      history: historyEntry('failed', { replyCode: null, reply: null, error }),
      leaseOwner: null,
      leaseExpiresAt: null,
      nextAttemptAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(deliveryLog.id, id), eq(deliveryLog.leaseOwner, owner), inArray(deliveryLog.status, PENDING)))
    .returning({ id: deliveryLog.id });
  return res.length === 1;
}

/** Extends every lease `owner` holds (its heartbeat). */
export async function renewLeases(db: Db, owner: string, leaseMs: number): Promise<number> {
  const res = await db
    .update(deliveryLog)
    .set({ leaseExpiresAt: lease(leaseMs) })
    .where(and(eq(deliveryLog.leaseOwner, owner), inArray(deliveryLog.status, ['queued', 'retrying', 'sending'])))
    .returning({ id: deliveryLog.id });
  return res.length;
}

/** Gives back the not-yet-sending rows `owner` leased (on stop, or because the owner is dead). */
export async function releaseLeases(db: Db, owner: string, editionId?: number): Promise<number> {
  const res = await db
    .update(deliveryLog)
    .set({ leaseOwner: null, leaseExpiresAt: null })
    .where(
      and(
        eq(deliveryLog.leaseOwner, owner),
        inArray(deliveryLog.status, PENDING),
        editionId === undefined ? undefined : eq(deliveryLog.editionId, editionId),
      ),
    )
    .returning({ id: deliveryLog.id });
  return res.length;
}

/** Gives back one leased, not-yet-sending row. */
export async function releaseLease(db: Db, id: number, owner: string): Promise<void> {
  await db
    .update(deliveryLog)
    .set({ leaseOwner: null, leaseExpiresAt: null })
    .where(and(eq(deliveryLog.id, id), eq(deliveryLog.leaseOwner, owner), inArray(deliveryLog.status, PENDING)));
}

/** A leased row of another worker, for deciding whether that worker is gone. */
export interface ForeignLease {
  id: number;
  status: DeliveryStatus;
  email: string;
  owner: string | null;
  expired: boolean;
}

/**
 * Rows of an edition that are `sending`, or pending under a lease, held by another worker than `owner` —
 * or by `owner` itself with an expired lease (an earlier run in this process that died with an exception).
 */
export async function listForeignLeases(db: Db, editionId: number, owner: string): Promise<ForeignLease[]> {
  const list = await rows<{
    id: string | number;
    status: DeliveryStatus;
    email: string;
    lease_owner: string | null;
    expired: boolean;
  }>(
    db,
    sql`
    select id, status, email, lease_owner, (lease_expires_at is null or lease_expires_at < now()) as expired from delivery_log
    where edition_id = ${editionId} and (lease_owner is distinct from ${owner} or lease_expires_at is null or lease_expires_at < now())
      and (status = 'sending' or (status in ('queued', 'retrying') and lease_owner is not null))
    order by id`,
  );
  return list.map((r) => ({
    id: Number(r.id),
    status: r.status,
    email: r.email,
    owner: r.lease_owner,
    expired: r.expired,
  }));
}

/**
 * A `sending` row whose worker is gone: the SMTP transaction may have completed, so the row becomes
 * `uncertain` (never re-sent automatically). Fenced by the owner seen when deciding.
 */
export async function markAbandonedUncertain(
  db: Db,
  id: number,
  owner: string | null,
  reason: string,
): Promise<boolean> {
  const res = await db
    .update(deliveryLog)
    .set({
      status: 'uncertain',
      error: reason,
      history: historyEntry('uncertain', { replyCode: null, reply: null, error: reason }),
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveryLog.id, id),
        eq(deliveryLog.status, 'sending'),
        owner === null ? sql`${deliveryLog.leaseOwner} is null` : eq(deliveryLog.leaseOwner, owner),
      ),
    )
    .returning({ id: deliveryLog.id });
  return res.length === 1;
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
