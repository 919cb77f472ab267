import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { channelLog, channels } from '../schema/index.ts';
import type { DeliveryAttempt, DeliveryStatus } from '../schema/index.ts';
import * as lease from './lease.ts';
import { rows } from './lease.ts';

export type ChannelRow = typeof channels.$inferSelect;
export type NewChannelRow = typeof channels.$inferInsert;
export type ChannelLogRow = typeof channelLog.$inferSelect;

/** One request of a channel row (a part of the edition), kept in `channel_log.history`. */
export type ChannelAttempt = DeliveryAttempt & { part: number };

/** The statuses a channel loop may still send from. */
const PENDING: DeliveryStatus[] = ['queued', 'retrying'];

/** A history entry of a request-less end, for the part that was next (over the row's columns before the update). */
const CHANNEL_LOG: lease.LeaseLog = {
  table: 'channel_log',
  label: 'channel_name',
  entry: (status, error) => sql`jsonb_build_object('at', now(), 'status', ${status}::text, 'part', parts_sent + 1,
    'message_id', null, 'reply_code', null, 'reply', null, 'error', ${error}::text, 'owner', lease_owner)`,
};

// ── channels ─────────────────────────────────────────────────────────────────────────────────────────────

export async function listChannelRows(db: Db): Promise<ChannelRow[]> {
  return db.select().from(channels).orderBy(asc(channels.name));
}

export async function getChannelRow(db: Db, name: string): Promise<ChannelRow | null> {
  const [row] = await db.select().from(channels).where(eq(channels.name, name));
  return row ?? null;
}

export async function getChannelRowById(db: Db, id: number): Promise<ChannelRow | null> {
  const [row] = await db.select().from(channels).where(eq(channels.id, id));
  return row ?? null;
}

export async function insertChannel(db: Db, values: NewChannelRow): Promise<ChannelRow> {
  const [row] = await db.insert(channels).values(values).returning();
  return row!;
}

export async function updateChannelRow(
  db: Db,
  id: number,
  values: Partial<Omit<NewChannelRow, 'id' | 'createdAt'>>,
): Promise<ChannelRow | null> {
  const [row] = await db
    .update(channels)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(channels.id, id))
    .returning();
  return row ?? null;
}

export async function deleteChannel(db: Db, name: string): Promise<ChannelRow | null> {
  const [row] = await db.delete(channels).where(eq(channels.name, name)).returning();
  return row ?? null;
}

/**
 * The enabled channels an edition goes to: every channel without a group, and — when the edition is run for
 * some groups — those whose group is among them; without groups, every enabled channel.
 */
export async function channelsForEdition(db: Db, groups: readonly string[] | null): Promise<ChannelRow[]> {
  const all = await db.select().from(channels).where(eq(channels.enabled, true)).orderBy(asc(channels.id));
  if (!groups || groups.length === 0) return all;
  return all.filter((c) => c.group === null || groups.includes(c.group));
}

// ── channel_log ──────────────────────────────────────────────────────────────────────────────────────────

/** Writes a `queued` row per channel that has none for the edition (existing rows are left as they are). */
export async function queueChannelLog(
  db: Db,
  editionId: number,
  list: { id: number; name: string }[],
): Promise<number> {
  if (list.length === 0) return 0;
  const res = await db
    .insert(channelLog)
    .values(list.map((c) => ({ editionId, channelId: c.id, channelName: c.name })))
    .onConflictDoNothing({ target: [channelLog.editionId, channelLog.channelId] })
    .returning({ id: channelLog.id });
  return res.length;
}

/** A channel row leased for sending, with the channel it goes to. */
export interface LeasedChannelLog {
  id: number;
  channelId: number;
  status: DeliveryStatus;
  attempts: number;
  parts: number;
  partsSent: number;
  /** The parts as rendered for the first one that went out; null until then. */
  rendered: ChannelLogRow['rendered'];
  history: ChannelAttempt[];
}

/** An edition's rows of `ids` (its routed channels) whose channel is still enabled. */
function scope(ids: readonly number[]): lease.LeaseScope {
  return {
    join: sql`join channels c on c.id = x.channel_id`,
    where: sql`and c.enabled and x.channel_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::int)`,
  };
}

/** Leases the next due row of `channelIds` whose channel is still enabled (see lease.ts `leaseNext`). */
export async function leaseNextChannelLog(
  db: Db,
  o: { editionId: number; owner: string; leaseMs: number; channelIds: readonly number[] },
): Promise<LeasedChannelLog | null> {
  if (o.channelIds.length === 0) return null;
  const row = await lease.leaseNext<{
    id: string | number;
    channel_id: number;
    status: DeliveryStatus;
    attempts: number;
    parts: number;
    parts_sent: number;
    rendered: ChannelLogRow['rendered'];
    history: ChannelAttempt[];
  }>(db, CHANNEL_LOG, scope(o.channelIds), {
    ...o,
    columns: sql`x.id, x.channel_id, x.status, x.attempts, x.parts, x.parts_sent, x.rendered, x.history`,
  });
  return row
    ? {
        id: Number(row.id),
        channelId: row.channel_id,
        status: row.status,
        attempts: row.attempts,
        parts: row.parts,
        partsSent: row.parts_sent,
        rendered: row.rendered,
        history: row.history,
      }
    : null;
}

/** What is left to do for an edition's channels, from one worker's point of view. */
export async function pendingChannelState(
  db: Db,
  o: { editionId: number; owner: string; channelIds: readonly number[] },
): Promise<lease.PendingState> {
  if (o.channelIds.length === 0) return { ready: 0, nextDueMs: null, leasedElsewhere: 0 };
  return lease.pendingState(db, CHANNEL_LOG, scope(o.channelIds), o);
}

/**
 * Keeps the parts the edition renders to for this channel with the row, before the first part goes out: the
 * rest of them are sent from here, whatever the edition renders to later. Fenced by the lease and by no part
 * having been sent.
 */
export async function keepRendering(
  db: Db,
  id: number,
  owner: string,
  rendered: NonNullable<ChannelLogRow['rendered']>,
): Promise<boolean> {
  const res = await db
    .update(channelLog)
    .set({ parts: rendered.length, rendered, updatedAt: sql`now()` })
    .where(
      and(
        eq(channelLog.id, id),
        eq(channelLog.leaseOwner, owner),
        inArray(channelLog.status, PENDING),
        eq(channelLog.partsSent, 0),
      ),
    )
    .returning({ id: channelLog.id });
  return res.length === 1;
}

/** Records how many parts a row queued before renderings were kept renders to now (it has none kept). */
export async function setParts(db: Db, id: number, owner: string, parts: number): Promise<boolean> {
  const res = await db
    .update(channelLog)
    .set({ parts, updatedAt: sql`now()` })
    .where(and(eq(channelLog.id, id), eq(channelLog.leaseOwner, owner), inArray(channelLog.status, PENDING)))
    .returning({ id: channelLog.id });
  return res.length === 1;
}

/**
 * Marks a leased row `sending` just before part `part` (1-based) is posted. Fenced by the lease and by
 * `parts_sent` (the part must be the next one). Returns the attempt number, or null when the lease was lost.
 */
export async function startPart(
  db: Db,
  o: { id: number; owner: string; part: number; leaseMs: number },
): Promise<number | null> {
  const [row] = await db
    .update(channelLog)
    .set({
      status: 'sending',
      attempts: sql`${channelLog.attempts} + 1`,
      sendingAt: sql`now()`,
      leaseExpiresAt: lease.leaseUntil(o.leaseMs),
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(channelLog.id, o.id),
        eq(channelLog.leaseOwner, o.owner),
        inArray(channelLog.status, PENDING),
        eq(channelLog.partsSent, o.part - 1),
      ),
    )
    .returning({ attempts: channelLog.attempts });
  return row?.attempts ?? null;
}

function historyEntry(
  status: DeliveryStatus,
  part: number,
  parts: number,
  e: { replyCode: number | null; reply: string | null; error: string | null },
): SQL {
  return sql`${channelLog.history} || jsonb_build_array(jsonb_build_object(
    'at', now(), 'status', ${status}::text, 'part', ${part}::int, 'message_id', ${`part ${part}/${parts}`}::text,
    'reply_code', ${e.replyCode}::int, 'reply', ${e.reply}::text, 'error', ${e.error}::text, 'owner', ${channelLog.leaseOwner}))`;
}

/** How a part's request ended. */
export interface PartEnd {
  /** `sent`: this part was accepted (the row is `sent` when it was the last one, waits for the next otherwise). */
  status: Extract<DeliveryStatus, 'sent' | 'retrying' | 'failed' | 'uncertain'>;
  replyCode: number | null;
  reply: string | null;
  error: string | null;
  /** For `retrying`: when the row is due again. */
  retryInMs?: number;
}

/**
 * Records how part `part` of `parts` ended. An accepted part advances `parts_sent`; the row stays leased
 * (status `queued`, due at once) until the last part, then becomes `sent`. Fenced by the row being
 * `sending` (or declared `uncertain` by a worker that took this one for dead) at this part.
 */
export async function finishPart(
  db: Db,
  o: { id: number; part: number; parts: number },
  end: PartEnd,
): Promise<boolean> {
  const accepted = end.status === 'sent';
  const last = accepted && o.part >= o.parts;
  const status: DeliveryStatus = accepted ? (last ? 'sent' : 'queued') : end.status;
  const res = await db
    .update(channelLog)
    .set({
      status,
      replyCode: end.replyCode,
      lastReply: end.reply,
      error: end.error,
      ...(accepted ? { partsSent: o.part } : {}),
      nextAttemptAt: status === 'retrying' && !accepted ? lease.leaseUntil(end.retryInMs ?? 0) : null,
      ...(last ? { sentAt: sql`now()` } : {}),
      history: historyEntry(accepted ? 'sent' : end.status, o.part, o.parts, end),
      // Between parts the row stays ours; otherwise it is given back.
      ...(accepted && !last ? {} : { leaseOwner: null, leaseExpiresAt: null }),
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(channelLog.id, o.id),
        eq(channelLog.partsSent, o.part - 1),
        inArray(channelLog.status, ['sending', 'uncertain']),
      ),
    )
    .returning({ id: channelLog.id });
  return res.length === 1;
}

/** A leased row queued before renderings were kept whose parts all went out (it renders to fewer now): `sent`. */
export async function completeChannelLog(db: Db, id: number, owner: string): Promise<boolean> {
  const res = await db
    .update(channelLog)
    .set({ status: 'sent', sentAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null, updatedAt: sql`now()` })
    .where(and(eq(channelLog.id, id), eq(channelLog.leaseOwner, owner), inArray(channelLog.status, PENDING)))
    .returning({ id: channelLog.id });
  return res.length === 1;
}

/**
 * The lease statements of channel_log (lease.ts): `failUnsentChannel` for a row whose edition cannot be
 * rendered or whose channel cannot be opened; `markChannelUncertain` for a `sending` row whose worker is gone
 * — the part in flight may have been posted, so it is never re-sent automatically.
 */
export const {
  failUnsent: failUnsentChannel,
  renewLeases: renewChannelLeases,
  releaseLeases: releaseChannelLeases,
  releaseLease: releaseChannelLease,
  markUncertain: markChannelUncertain,
} = lease.statementsFor(CHANNEL_LOG);

/** A leased channel row of another worker (or an expired one of `owner`), for deciding whether it is gone. */
export async function listForeignChannelLeases(
  db: Db,
  editionId: number,
  owner: string,
): Promise<(Omit<lease.ForeignLease, 'label'> & { channelName: string })[]> {
  const list = await lease.listForeignLeases(db, CHANNEL_LOG, editionId, owner);
  return list.map(({ label, ...f }) => ({ ...f, channelName: label }));
}

/** Counts of an edition's channel rows by status (of `channelIds` when given). */
export async function channelCounts(
  db: Db,
  editionId: number,
  channelIds?: readonly number[],
): Promise<Record<DeliveryStatus, number>> {
  const list = await db
    .select({ status: channelLog.status, n: sql<number>`count(*)::int` })
    .from(channelLog)
    .where(
      and(
        eq(channelLog.editionId, editionId),
        channelIds ? inArray(channelLog.channelId, channelIds.length ? [...channelIds] : [-1]) : undefined,
      ),
    )
    .groupBy(channelLog.status);
  const out: Record<DeliveryStatus, number> = { queued: 0, sending: 0, sent: 0, retrying: 0, failed: 0, uncertain: 0 };
  for (const r of list) out[r.status] = Number(r.n);
  return out;
}

/** An edition's channel rows, in the order they were queued. */
export async function listChannelLog(db: Db, editionId: number): Promise<ChannelLogRow[]> {
  return db.select().from(channelLog).where(eq(channelLog.editionId, editionId)).orderBy(asc(channelLog.id));
}

/** Stories of `storyIds` that an intraday alert pushed (`alert_log` status `sent`) before `before`. */
export async function alertedStories(db: Db, storyIds: readonly number[], before: Date): Promise<Set<number>> {
  if (storyIds.length === 0) return new Set();
  const list = await rows<{ story_id: number }>(
    db,
    sql`select distinct story_id from alert_log
        where status = 'sent' and created_at < ${before.toISOString()}::timestamptz
          and story_id in (select jsonb_array_elements_text(${JSON.stringify(storyIds)}::jsonb)::int)`,
  );
  return new Set(list.map((r) => Number(r.story_id)));
}

/**
 * An operator's resend: puts an edition's channel rows back into the queue (attempts start again; the earlier
 * attempts stay in `history`). Only rows in `statuses` move, a row being sent never does. A failed or
 * uncertain row goes on from the first part not known to be posted; with `fromStart` (a forced resend of a
 * sent row) every part goes again. Returns the re-queued rows' channel names.
 */
export async function requeueChannelLog(
  db: Db,
  o: { editionId: number; channelNames?: readonly string[]; statuses: readonly DeliveryStatus[]; fromStart?: boolean },
): Promise<string[]> {
  const statuses = o.statuses.filter((s) => s !== 'sending');
  if (statuses.length === 0) return [];
  const restart = sql`(${channelLog.status} = 'sent' or ${o.fromStart ?? false}::boolean)`;
  const res = await db
    .update(channelLog)
    .set({
      status: 'queued',
      attempts: 0,
      nextAttemptAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      error: 'resend requested by an operator',
      resends: sql`${channelLog.resends} + 1`,
      // A sent row goes again from its first part, rendered afresh; any other goes on from the first part not
      // known to be posted, of the rendering its earlier parts came from.
      partsSent: sql`case when ${restart} then 0 else ${channelLog.partsSent} end`,
      rendered: sql`case when ${restart} then null else ${channelLog.rendered} end`,
      history: sql`${channelLog.history} || jsonb_build_array(jsonb_build_object(
        'at', now(), 'status', 'queued', 'part', null, 'message_id', null, 'reply_code', null,
        'reply', null, 'error', 'resend requested by an operator', 'owner', null))`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(channelLog.editionId, o.editionId),
        inArray(channelLog.status, statuses),
        o.channelNames ? inArray(channelLog.channelName, [...o.channelNames]) : undefined,
      ),
    )
    .returning({ name: channelLog.channelName });
  return res.map((r) => r.name);
}
