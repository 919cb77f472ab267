/**
 * The lease rules `delivery_log` (mail) and `channel_log` (chat channels) share: a worker holds a row through
 * `lease_owner` + `lease_expires_at` (renewed by its heartbeat), leases the next due row without blocking
 * other workers, gives back what it did not start, and a `sending` row whose worker is gone becomes
 * `uncertain`. What differs between the two logs — what a row goes to (a recipient, a channel), which of
 * those are still live, and what a history entry records — comes in a {@link LeaseLog} and a
 * {@link LeaseScope}. The attempt itself (`startSending` / `startPart`, `finishAttempt` / `finishPart`)
 * differs in substance and stays in each log's own file.
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import type { DeliveryStatus } from '../schema/index.ts';

/** One of the leased logs, as the shared statements need it. */
export interface LeaseLog {
  table: 'delivery_log' | 'channel_log';
  /** The column that names where a row goes, for an operator reading a foreign lease. */
  label: 'email' | 'channel_name';
  /**
   * The `history` entry of a row that ends without a request (failed before sending, or left `sending` by a
   * dead worker): a jsonb object over the row's columns before the update.
   */
  entry(status: 'failed' | 'uncertain', error: string): SQL;
}

/**
 * Which of an edition's rows a loop works on: `join` from the log row `x` to what it goes to, and `where`
 * (starting with `and`) keeping only those that are still live.
 *
 * @example
 * { join: sql`join channels c on c.id = x.channel_id`, where: sql`and c.enabled` }
 */
export interface LeaseScope {
  join: SQL;
  where: SQL;
}

/** `db.execute` returns `{ rows }` on both drivers (node-postgres and PGlite). */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

/** A lease (or retry) deadline `ms` from now, in the database's clock. */
export const leaseUntil = (ms: number): SQL => sql`now() + (${Math.round(ms)}::int * interval '1 millisecond')`;

const table = (log: LeaseLog) => sql.identifier(log.table);

/**
 * Leases the next row in `scope` that is due (queued, or retrying with `next_attempt_at` passed) and not
 * leased by a live worker, and returns `columns` of it (over `x`, the leased row, and the scope's join).
 * Workers never block each other (`FOR UPDATE SKIP LOCKED`); under contention it may return null although
 * rows are left — ask {@link pendingState}.
 */
export async function leaseNext<T>(
  db: Db,
  log: LeaseLog,
  scope: LeaseScope,
  o: { editionId: number; owner: string; leaseMs: number; columns: SQL },
): Promise<T | null> {
  const [row] = await rows<T>(
    db,
    sql`
    with leased as (
      update ${table(log)} l set lease_owner = ${o.owner}, lease_expires_at = ${leaseUntil(o.leaseMs)}, updated_at = now()
      where l.id = (
        select x.id from ${table(log)} x ${scope.join}
        where x.edition_id = ${o.editionId} and x.status in ('queued', 'retrying')
          and (x.next_attempt_at is null or x.next_attempt_at <= now())
          and (x.lease_owner is null or x.lease_expires_at is null or x.lease_expires_at < now())
          ${scope.where}
        order by x.id limit 1
        for update of x skip locked)
      returning l.*)
    select ${o.columns} from leased x ${scope.join}`,
  );
  return row ?? null;
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
  log: LeaseLog,
  scope: LeaseScope,
  o: { editionId: number; owner: string },
): Promise<PendingState> {
  const [row] = await rows<{ ready: number; next_due_ms: number | null; elsewhere: number }>(
    db,
    sql`
    select
      count(*) filter (where x.status in ('queued', 'retrying') and free and (x.next_attempt_at is null or x.next_attempt_at <= now()))::int as ready,
      ceil(extract(epoch from min(x.next_attempt_at - now()) filter (where x.status in ('queued', 'retrying') and free and x.next_attempt_at > now())) * 1000)::int as next_due_ms,
      count(*) filter (where not free and x.lease_owner <> ${o.owner})::int as elsewhere
    from (select l.*, (l.lease_owner is null or l.lease_expires_at is null or l.lease_expires_at < now()) as free from ${table(log)} l) x
    ${scope.join}
    where x.edition_id = ${o.editionId} and x.status in ('queued', 'retrying', 'sending') ${scope.where}`,
  );
  return { ready: row?.ready ?? 0, nextDueMs: row?.next_due_ms ?? null, leasedElsewhere: row?.elsewhere ?? 0 };
}

/** A row whose message could not even be built: the leased row fails without a request. */
export async function failUnsent(db: Db, log: LeaseLog, id: number, owner: string, error: string): Promise<boolean> {
  const res = await rows(
    db,
    sql`
    update ${table(log)} set status = 'failed', error = ${error}, reply_code = null, last_reply = null,
      history = history || jsonb_build_array(${log.entry('failed', error)}),
      lease_owner = null, lease_expires_at = null, next_attempt_at = null, updated_at = now()
    where id = ${id} and lease_owner = ${owner} and status in ('queued', 'retrying')
    returning id`,
  );
  return res.length === 1;
}

/** Extends every lease `owner` holds (its heartbeat). */
export async function renewLeases(db: Db, log: LeaseLog, owner: string, leaseMs: number): Promise<number> {
  const res = await rows(
    db,
    sql`
    update ${table(log)} set lease_expires_at = ${leaseUntil(leaseMs)}
    where lease_owner = ${owner} and status in ('queued', 'retrying', 'sending')
    returning id`,
  );
  return res.length;
}

/** Gives back the not-yet-sending rows `owner` leased (of one edition when given). */
export async function releaseLeases(db: Db, log: LeaseLog, owner: string, editionId?: number): Promise<number> {
  const res = await rows(
    db,
    sql`
    update ${table(log)} set lease_owner = null, lease_expires_at = null
    where lease_owner = ${owner} and status in ('queued', 'retrying')
      ${editionId === undefined ? sql`` : sql`and edition_id = ${editionId}`}
    returning id`,
  );
  return res.length;
}

/** Gives back one leased, not-yet-sending row. */
export async function releaseLease(db: Db, log: LeaseLog, id: number, owner: string): Promise<void> {
  await db.execute(sql`
    update ${table(log)} set lease_owner = null, lease_expires_at = null
    where id = ${id} and lease_owner = ${owner} and status in ('queued', 'retrying')`);
}

/** A leased row of another worker, for deciding whether that worker is gone. */
export interface ForeignLease {
  id: number;
  status: DeliveryStatus;
  /** Where the row goes (the log's {@link LeaseLog.label} column). */
  label: string;
  owner: string | null;
  expired: boolean;
}

/**
 * Rows of an edition that are `sending`, or pending under a lease, held by another worker than `owner` —
 * or by `owner` itself with an expired lease (an earlier run in this process that died with an exception).
 */
export async function listForeignLeases(
  db: Db,
  log: LeaseLog,
  editionId: number,
  owner: string,
): Promise<ForeignLease[]> {
  const list = await rows<{
    id: string | number;
    status: DeliveryStatus;
    label: string;
    lease_owner: string | null;
    expired: boolean;
  }>(
    db,
    sql`
    select id, status, ${sql.identifier(log.label)} as label, lease_owner,
      (lease_expires_at is null or lease_expires_at < now()) as expired
    from ${table(log)}
    where edition_id = ${editionId} and (lease_owner is distinct from ${owner} or lease_expires_at is null or lease_expires_at < now())
      and (status = 'sending' or (status in ('queued', 'retrying') and lease_owner is not null))
    order by id`,
  );
  return list.map((r) => ({
    id: Number(r.id),
    status: r.status,
    label: r.label,
    owner: r.lease_owner,
    expired: r.expired,
  }));
}

/**
 * A `sending` row whose worker is gone: the request may have gone through, so the row becomes `uncertain`
 * (never re-sent automatically). Fenced by the owner seen when deciding.
 */
export async function markUncertain(
  db: Db,
  log: LeaseLog,
  id: number,
  owner: string | null,
  reason: string,
): Promise<boolean> {
  const res = await rows(
    db,
    sql`
    update ${table(log)} set status = 'uncertain', error = ${reason},
      history = history || jsonb_build_array(${log.entry('uncertain', reason)}),
      lease_owner = null, lease_expires_at = null, updated_at = now()
    where id = ${id} and status = 'sending' and lease_owner ${owner === null ? sql`is null` : sql`= ${owner}`}
    returning id`,
  );
  return res.length === 1;
}

/**
 * The statements above that take nothing but the row, bound to `log`: what its query file exports under its
 * own names.
 *
 * @example
 * export const { failUnsent, renewLeases, releaseLeases, releaseLease, markUncertain } = statementsFor(LOG);
 */
export function statementsFor(log: LeaseLog) {
  return {
    failUnsent: (db: Db, id: number, owner: string, error: string) => failUnsent(db, log, id, owner, error),
    renewLeases: (db: Db, owner: string, leaseMs: number) => renewLeases(db, log, owner, leaseMs),
    releaseLeases: (db: Db, owner: string, editionId?: number) => releaseLeases(db, log, owner, editionId),
    releaseLease: (db: Db, id: number, owner: string) => releaseLease(db, log, id, owner),
    markUncertain: (db: Db, id: number, owner: string | null, reason: string) =>
      markUncertain(db, log, id, owner, reason),
  };
}
