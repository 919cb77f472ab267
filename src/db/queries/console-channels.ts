/**
 * The console's reads of chat channels: the channels page (each channel with its last send and its recent
 * failures) and the channel rows of an edition on the deliveries page. Changes go through `channels/store.ts`.
 */
import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { channelLog, channels, editions } from '../schema/index.ts';
import type { ChannelKind, ChannelOptions, DeliveryStatus } from '../schema/index.ts';

/** A channel as the list shows it: never its URL or secret, only the URL's host and whether a secret is set. */
export interface ChannelListRow {
  id: number;
  name: string;
  kind: ChannelKind;
  urlHost: string;
  hasSecret: boolean;
  options: ChannelOptions;
  group: string | null;
  enabled: boolean;
  updatedAt: Date;
  /** The newest channel_log row: its status, edition and time. */
  last: { status: DeliveryStatus; date: string; at: Date; error: string | null } | null;
  /** Rows `failed` or `uncertain` among the channel's editions of the last {@link FAILURE_DAYS} days. */
  failures: number;
}

/**
 * How far back the list counts a channel's failures.
 * @defaultValue 30
 */
export const FAILURE_DAYS = 30;

// The subqueries name the outer table as `channels.id`: drizzle writes a column of the main table unqualified.
const listColumns = {
  id: channels.id,
  name: channels.name,
  kind: channels.kind,
  urlHost: channels.urlHost,
  hasSecret: sql<boolean>`${channels.secretSealed} is not null`,
  options: channels.options,
  group: channels.group,
  enabled: channels.enabled,
  updatedAt: channels.updatedAt,
  last: sql<ChannelListRow['last']>`(
    select json_build_object('status', l.status, 'date', e.date, 'at', coalesce(l.sent_at, l.updated_at),
                             'error', coalesce(l.error, l.last_reply))
    from channel_log l join editions e on e.id = l.edition_id
    where l.channel_id = channels.id order by l.id desc limit 1)`,
  failures: sql<number>`(
    select count(*)::int from channel_log l
    where l.channel_id = channels.id and l.status in ('failed', 'uncertain')
      and l.queued_at > now() - make_interval(days => ${FAILURE_DAYS}))`,
};

function fromDb(r: Omit<ChannelListRow, 'last'> & { last: ChannelListRow['last'] | null }): ChannelListRow {
  const last = r.last ? { ...r.last, at: new Date(r.last.at) } : null;
  return { ...r, hasSecret: Boolean(r.hasSecret), failures: Number(r.failures), last };
}

/** Every channel, by name, with its last send and recent failures. */
export async function listChannelRows(db: Db): Promise<ChannelListRow[]> {
  const rows = await db.select(listColumns).from(channels).orderBy(asc(channels.name));
  return rows.map(fromDb);
}

/** One channel as the list shows it, or null. */
export async function getChannelRow(db: Db, id: number): Promise<ChannelListRow | null> {
  const [r] = await db.select(listColumns).from(channels).where(eq(channels.id, id));
  return r ? fromDb(r) : null;
}

/** Channel names and ids for the alert form's checkboxes. */
export async function channelChoices(db: Db): Promise<{ id: number; name: string; kind: ChannelKind }[]> {
  return db
    .select({ id: channels.id, name: channels.name, kind: channels.kind })
    .from(channels)
    .orderBy(asc(channels.name));
}

/** One channel_log row as the deliveries page shows it. */
export interface ChannelDeliveryRow {
  id: number;
  date: string;
  channelId: number;
  channelName: string;
  kind: ChannelKind;
  /** The channel's group (it follows only that group's editions), null when it follows every edition. */
  group: string | null;
  status: DeliveryStatus;
  attempts: number;
  parts: number;
  partsSent: number;
  replyCode: number | null;
  lastReply: string | null;
  error: string | null;
  resends: number;
  sentAt: Date | null;
  updatedAt: Date;
}

/**
 * The channel rows of an edition (or of every edition, newest first, when `date` is null), in `statuses` when
 * given, of the channels that follow `group` when given (the group's own channels and those without a group),
 * at most `limit`: an edition has a handful of channels, not thousands of recipients, so no pager.
 */
export async function editionChannelRows(
  db: Db,
  date: string | null,
  o: { statuses?: readonly DeliveryStatus[]; group?: string } = {},
  limit = 200,
): Promise<ChannelDeliveryRow[]> {
  return db
    .select({
      id: channelLog.id,
      date: editions.date,
      channelId: channelLog.channelId,
      channelName: channelLog.channelName,
      kind: channels.kind,
      group: channels.group,
      status: channelLog.status,
      attempts: channelLog.attempts,
      parts: channelLog.parts,
      partsSent: channelLog.partsSent,
      replyCode: channelLog.replyCode,
      lastReply: channelLog.lastReply,
      error: channelLog.error,
      resends: channelLog.resends,
      sentAt: channelLog.sentAt,
      updatedAt: channelLog.updatedAt,
    })
    .from(channelLog)
    .innerJoin(editions, eq(editions.id, channelLog.editionId))
    .innerJoin(channels, eq(channels.id, channelLog.channelId))
    .where(
      and(
        date ? eq(editions.date, date) : undefined,
        o.statuses ? inArray(channelLog.status, [...o.statuses]) : undefined,
        o.group === undefined ? undefined : or(isNull(channels.group), eq(channels.group, o.group)),
      ),
    )
    .orderBy(desc(editions.date), asc(channelLog.channelName))
    .limit(limit);
}

/** A channel_log row's edition date and status (what the resend action checks before it acts), or null. */
export async function channelLogRow(
  db: Db,
  id: number,
): Promise<{ id: number; date: string; editionId: number; channelName: string; status: DeliveryStatus } | null> {
  const [r] = await db
    .select({
      id: channelLog.id,
      date: editions.date,
      editionId: channelLog.editionId,
      channelName: channelLog.channelName,
      status: channelLog.status,
    })
    .from(channelLog)
    .innerJoin(editions, eq(editions.id, channelLog.editionId))
    .where(eq(channelLog.id, id));
  return r ?? null;
}
