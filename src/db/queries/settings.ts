import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { settings } from '../schema/index.ts';

/** A runtime setting's stored value, or null. */
export async function getSetting(db: Db, key: string): Promise<unknown> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
  return row?.value ?? null;
}

export async function setSetting(db: Db, key: string, value: unknown, by: string): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value, updatedBy: by })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedBy: by, updatedAt: new Date() } });
}

/** The stored rows of these keys (one query), with who set them and when. */
export async function getSettings(
  db: Db,
  keys: readonly string[],
): Promise<{ key: string; value: unknown; updatedAt: Date; updatedBy: string | null }[]> {
  if (keys.length === 0) return [];
  return db
    .select({ key: settings.key, value: settings.value, updatedAt: settings.updatedAt, updatedBy: settings.updatedBy })
    .from(settings)
    .where(inArray(settings.key, [...keys]));
}

/** Removes a runtime setting (its default applies again); whether there was one. */
export async function deleteSetting(db: Db, key: string): Promise<boolean> {
  const rows = await db.delete(settings).where(eq(settings.key, key)).returning({ key: settings.key });
  return rows.length > 0;
}
