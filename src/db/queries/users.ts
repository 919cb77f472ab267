import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { users } from '../schema/index.ts';

export type UserRow = typeof users.$inferSelect;
export type Role = 'admin' | 'viewer';

/** A user as shown to operators: never the hash or the TOTP secret. */
export interface UserView {
  id: number;
  email: string;
  role: Role;
  disabled: boolean;
  totp: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export function toView(u: UserRow): UserView {
  return {
    id: u.id,
    email: u.email ?? u.username,
    role: u.role,
    disabled: u.disabled,
    totp: u.totpEnabledAt !== null,
    lastLoginAt: u.lastLoginAt,
    createdAt: u.createdAt,
  };
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(users).orderBy(asc(users.id));
}

export async function getUser(db: Db, id: number): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

/** The user signing in with `email` (case-insensitive), or null. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  return row ?? null;
}

/** Creates a user; null when the address is taken. */
export async function createUser(
  db: Db,
  input: { email: string; passwordHash: string; role: Role },
): Promise<UserRow | null> {
  const email = input.email.trim().toLowerCase();
  const rows = await db
    .insert(users)
    .values({
      username: email,
      email,
      passwordHash: input.passwordHash,
      role: input.role,
      passwordChangedAt: new Date(),
    })
    .onConflictDoNothing()
    .returning();
  return rows[0] ?? null;
}

/** Replaces the password hash and bumps the session version: every session signed before is revoked. */
export async function setPassword(db: Db, id: number, passwordHash: string): Promise<void> {
  await db
    .update(users)
    .set({
      passwordHash,
      passwordChangedAt: new Date(),
      sessionVersion: sql`${users.sessionVersion} + 1`,
      failedLogins: 0,
      lockedUntil: null,
      updatedAt: new Date(),
    })
    .where(eq(users.id, id));
}

/** Enables or disables a user; disabling also revokes their sessions. */
export async function setDisabled(db: Db, id: number, disabled: boolean): Promise<void> {
  await db
    .update(users)
    .set({ disabled, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, id));
}

export async function setRole(db: Db, id: number, role: Role): Promise<void> {
  await db
    .update(users)
    .set({ role, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, id));
}

/** Revokes every session of a user (logout). */
export async function bumpSessionVersion(db: Db, id: number): Promise<void> {
  await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, id));
}

/**
 * Stores a TOTP secret (already encrypted). `enabled` false keeps it pending until the first code is
 * confirmed; a null secret removes the second factor.
 */
export async function setTotp(db: Db, id: number, encryptedSecret: string | null, enabled: boolean): Promise<void> {
  await db
    .update(users)
    .set({
      totpSecret: encryptedSecret,
      totpEnabledAt: enabled && encryptedSecret ? new Date() : null,
      totpLastStep: null,
      sessionVersion: sql`${users.sessionVersion} + 1`,
      updatedAt: new Date(),
    })
    .where(eq(users.id, id));
}

/**
 * Records that a TOTP code of time step `step` was accepted, unless a code of that step or a later one already
 * was: false means the code is a replay and must be refused. One conditional UPDATE, so two requests racing
 * with the same code cannot both win.
 */
export async function acceptTotpStep(db: Db, id: number, step: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return rows.length > 0;
}

/**
 * Counts a failed sign-in and locks the account from the fifth one on, for 30 s doubling with each further
 * failure (at most 15 min). Returns the lock's end, if any.
 */
export async function recordFailedLogin(db: Db, id: number, now = new Date()): Promise<Date | null> {
  const [row] = await db
    .update(users)
    .set({
      failedLogins: sql`${users.failedLogins} + 1`,
      lockedUntil: sql`case when ${users.failedLogins} + 1 >= 5
        then ${now.toISOString()}::timestamptz
          + least(900, 30 * power(2, ${users.failedLogins} + 1 - 5)) * interval '1 second'
        else ${users.lockedUntil} end`,
    })
    .where(eq(users.id, id))
    .returning({ lockedUntil: users.lockedUntil });
  return row?.lockedUntil ?? null;
}

export async function recordLogin(db: Db, id: number): Promise<void> {
  await db.update(users).set({ failedLogins: 0, lockedUntil: null, lastLoginAt: new Date() }).where(eq(users.id, id));
}
