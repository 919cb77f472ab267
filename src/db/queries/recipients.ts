import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { recipients } from '../schema/index.ts';

export type RecipientRow = typeof recipients.$inferSelect;

/** Inserts recipients, merging groups and keeping the name of an existing address; returns how many were new. */
export async function upsertRecipients(db: Db, list: { email: string; name: string | null; groups: string[] }[]): Promise<number> {
  let created = 0;
  for (const r of list) {
    const email = r.email.trim().toLowerCase();
    const [existing] = await db.select().from(recipients).where(eq(recipients.email, email));
    if (existing) {
      const groups = [...new Set([...existing.groups, ...r.groups])].sort();
      await db.update(recipients).set({ groups, name: r.name ?? existing.name, updatedAt: new Date() }).where(eq(recipients.id, existing.id));
    } else {
      const rows = await db.insert(recipients).values({ email, name: r.name, groups: [...new Set(r.groups)].sort() })
        .onConflictDoNothing({ target: recipients.email }).returning({ id: recipients.id });
      created += rows.length;
    }
  }
  return created;
}

/** Enabled, subscribed recipients: the whitelist an edition is sent to. */
export async function listActiveRecipients(db: Db): Promise<RecipientRow[]> {
  return db.select().from(recipients).where(and(eq(recipients.enabled, true), isNull(recipients.unsubscribedAt))).orderBy(asc(recipients.id));
}

export async function listRecipients(db: Db): Promise<RecipientRow[]> {
  return db.select().from(recipients).orderBy(asc(recipients.id));
}

export async function countRecipients(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(recipients);
  return row?.n ?? 0;
}
