import { and, asc, eq, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { recipients } from '../schema/index.ts';
import type { DeliveryStatus } from '../schema/index.ts';
import type { RecipientRow } from './recipients.ts';

/** The console's filters of the recipients list; absent fields do not filter. */
export interface RecipientFilter {
  group?: string;
  enabled?: boolean;
  unsubscribed?: boolean;
  /** Part of the address or the name, case-insensitive. */
  q?: string;
}

/** A recipient with its most recent delivery (of any edition). */
export interface RecipientListRow extends RecipientRow {
  lastDelivery: { date: string; status: DeliveryStatus; at: string } | null;
}

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function where(f: RecipientFilter): SQL | undefined {
  return and(
    f.group ? sql`${recipients.groups} @> jsonb_build_array(${f.group}::text)` : undefined,
    f.enabled === undefined ? undefined : eq(recipients.enabled, f.enabled),
    f.unsubscribed === undefined
      ? undefined
      : f.unsubscribed
        ? isNotNull(recipients.unsubscribedAt)
        : isNull(recipients.unsubscribedAt),
    f.q
      ? or(sql`${recipients.email} ilike ${likePattern(f.q)}`, sql`${recipients.name} ilike ${likePattern(f.q)}`)
      : undefined,
  );
}

/**
 * One page of recipients in address order (the email index, stopping at the page) with each one's last
 * delivery (`delivery_log_recipient_idx`: one index probe per row of the page), and the filter's total as a
 * count of its own — a `count(*) over ()` would walk every recipient before the page could stop.
 */
export async function pageRecipients(
  db: Db,
  f: RecipientFilter,
  page: number,
  pageSize: number,
): Promise<{ rows: RecipientListRow[]; total: number }> {
  const [list, total] = await Promise.all([
    db
      .select({
        r: recipients,
        last: sql<RecipientListRow['lastDelivery']>`(
        select json_build_object('date', e.date, 'status', d.status, 'at', coalesce(d.sent_at, d.updated_at))
        from delivery_log d join editions e on e.id = d.edition_id
        where d.recipient_id = "recipients"."id" order by d.id desc limit 1)`,
      })
      .from(recipients)
      .where(where(f))
      .orderBy(asc(recipients.email))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    countRecipients(db, f),
  ]);
  return { rows: list.map((x) => ({ ...x.r, lastDelivery: x.last })), total };
}

async function countRecipients(db: Db, f: RecipientFilter): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(recipients)
    .where(where(f));
  return row?.n ?? 0;
}

/** Every group in use, with how many recipients are in it, by name. */
export async function listGroups(db: Db): Promise<{ name: string; count: number }[]> {
  const res = (await db.execute(
    sql`select g as name, count(*)::int as count from recipients, jsonb_array_elements_text(groups) as g
        group by g order by g`,
  )) as unknown as { rows: { name: string; count: number }[] };
  return res.rows;
}

/** Which of `emails` (normalised) are recipients already. */
export async function existingEmails(db: Db, emails: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < emails.length; i += 1000) {
    const rows = await db
      .select({ email: recipients.email })
      .from(recipients)
      .where(inArray(recipients.email, emails.slice(i, i + 1000)));
    for (const r of rows) found.add(r.email);
  }
  return found;
}

/** Removes a recipient (its delivery rows go with it: `on delete cascade`); returns the row removed. */
export async function deleteRecipient(db: Db, id: number): Promise<RecipientRow | null> {
  const [row] = await db.delete(recipients).where(eq(recipients.id, id)).returning();
  return row ?? null;
}

/**
 * An operator's re-subscription of someone who unsubscribed (they asked for it again): the one way
 * `unsubscribed_at` is cleared. Returns the row, or null when it was not unsubscribed.
 */
export async function resubscribeRecipient(db: Db, id: number): Promise<RecipientRow | null> {
  const [row] = await db
    .update(recipients)
    .set({ unsubscribedAt: null, updatedAt: sql`now()` })
    .where(and(eq(recipients.id, id), isNotNull(recipients.unsubscribedAt)))
    .returning();
  return row ?? null;
}
