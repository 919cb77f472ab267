import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { deliveryLog, recipients } from '../schema/index.ts';

export type RecipientRow = typeof recipients.$inferSelect;

/** A recipient as imported or seeded: a normalised (trimmed, lower-case) address. */
export interface RecipientInput {
  email: string;
  name: string | null;
  groups: string[];
}

/**
 * `groups` of a recipient holds at least one of `groups`. An empty or missing list matches everyone.
 */
function inGroups(groups: readonly string[] | null | undefined): SQL | undefined {
  if (!groups || groups.length === 0) return undefined;
  return sql`${recipients.groups} ?| array(select jsonb_array_elements_text(${JSON.stringify(groups)}::jsonb))`;
}

/**
 * Inserts new recipients and merges existing ones (groups united, the name replaced when one is given).
 * `enabled` and `unsubscribed_at` of an existing address are never touched: an import must not
 * re-subscribe someone who unsubscribed. Duplicates inside `list` are merged first.
 */
export async function upsertRecipients(db: Db, list: RecipientInput[]): Promise<{ created: number; updated: number }> {
  const merged = new Map<string, RecipientInput>();
  for (const r of list) {
    const email = r.email.trim().toLowerCase();
    const prev = merged.get(email);
    merged.set(email, {
      email,
      name: r.name?.trim() || prev?.name || null,
      groups: [...new Set([...(prev?.groups ?? []), ...r.groups.map((g) => g.trim()).filter(Boolean)])].sort(),
    });
  }
  const values = [...merged.values()];
  let created = 0;
  let updated = 0;
  for (let i = 0; i < values.length; i += 500) {
    const chunk = values.slice(i, i + 500);
    const res = await db
      .insert(recipients)
      .values(chunk)
      .onConflictDoUpdate({
        target: recipients.email,
        set: {
          name: sql`coalesce(excluded.name, ${recipients.name})`,
          groups: sql`(select coalesce(jsonb_agg(distinct g order by g), '[]'::jsonb)
                     from jsonb_array_elements_text(${recipients.groups} || excluded.groups) as g)`,
          updatedAt: sql`now()`,
        },
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    for (const r of res)
      if (r.inserted) created++;
      else updated++;
  }
  return { created, updated };
}

/** Enabled, subscribed recipients — the whitelist an edition goes to — optionally only those of `groups`. */
export async function listActiveRecipients(
  db: Db,
  opts: { groups?: readonly string[] | null } = {},
): Promise<RecipientRow[]> {
  return db
    .select()
    .from(recipients)
    .where(and(eq(recipients.enabled, true), isNull(recipients.unsubscribedAt), inGroups(opts.groups)))
    .orderBy(asc(recipients.id));
}

export async function listRecipients(
  db: Db,
  opts: { groups?: readonly string[] | null } = {},
): Promise<RecipientRow[]> {
  return db.select().from(recipients).where(inGroups(opts.groups)).orderBy(asc(recipients.id));
}

export async function findRecipientByEmail(db: Db, email: string): Promise<RecipientRow | null> {
  const [row] = await db.select().from(recipients).where(eq(recipients.email, email.trim().toLowerCase()));
  return row ?? null;
}

export async function countRecipients(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(recipients);
  return row?.n ?? 0;
}

/** Turns a recipient on or off the whitelist; returns false for an unknown address. */
export async function setRecipientEnabled(db: Db, email: string, enabled: boolean): Promise<boolean> {
  const res = await db
    .update(recipients)
    .set({ enabled, updatedAt: sql`now()` })
    .where(eq(recipients.email, email.trim().toLowerCase()))
    .returning({ id: recipients.id });
  return res.length === 1;
}

/**
 * Records an unsubscribe for the recipient with this id and address (both must match: a token names
 * both). Returns `unsubscribed`, `already` (it was before), or `unknown`.
 */
export async function unsubscribeRecipient(
  db: Db,
  id: number,
  email: string,
): Promise<'unsubscribed' | 'already' | 'unknown'> {
  const [row] = await db
    .select({ unsubscribedAt: recipients.unsubscribedAt })
    .from(recipients)
    .where(and(eq(recipients.id, id), eq(recipients.email, email.trim().toLowerCase())));
  if (!row) return 'unknown';
  if (row.unsubscribedAt) return 'already';
  await db
    .update(recipients)
    .set({ unsubscribedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(recipients.id, id), isNull(recipients.unsubscribedAt)));
  return 'unsubscribed';
}

/** Whether the edition was addressed to the recipient (a delivery row exists, whatever its outcome). */
export async function wasAddressedEdition(db: Db, editionId: number, recipientId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: deliveryLog.id })
    .from(deliveryLog)
    .where(and(eq(deliveryLog.editionId, editionId), eq(deliveryLog.recipientId, recipientId)))
    .limit(1);
  return row !== undefined;
}

export async function getRecipient(db: Db, id: number): Promise<RecipientRow | null> {
  const [row] = await db.select().from(recipients).where(eq(recipients.id, id));
  return row ?? null;
}

/** Changes a recipient's name, groups or `enabled` (never `unsubscribed_at`: only the recipient unsubscribes). */
export async function updateRecipient(
  db: Db,
  id: number,
  patch: { name?: string | null; groups?: string[]; enabled?: boolean },
): Promise<RecipientRow | null> {
  const [row] = await db
    .update(recipients)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(recipients.id, id))
    .returning();
  return row ?? null;
}
