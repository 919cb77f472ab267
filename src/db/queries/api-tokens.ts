import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { apiTokens } from '../schema/index.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

/** Stores a new token by its hash (the token itself is shown once, by its creator, and never stored). */
export async function createApiToken(
  db: Db,
  input: {
    name: string;
    role: 'admin' | 'viewer';
    tokenHash: string;
    prefix: string;
    createdBy: string;
    expiresAt?: Date | null;
  },
): Promise<ApiTokenRow> {
  const [row] = await db
    .insert(apiTokens)
    .values({ ...input, expiresAt: input.expiresAt ?? null })
    .returning();
  return row!;
}

/** The live token with this hash: not revoked, not expired. */
export async function findLiveApiToken(db: Db, tokenHash: string, now = new Date()): Promise<ApiTokenRow | null> {
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
      ),
    );
  return row ?? null;
}

export async function touchApiToken(db: Db, id: number, at = new Date()): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
}

export async function listApiTokens(db: Db): Promise<ApiTokenRow[]> {
  return db.select().from(apiTokens).orderBy(desc(apiTokens.id));
}

/** Revokes a token; false when there was no live token with that id. */
export async function revokeApiToken(db: Db, id: number, at = new Date()): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}
