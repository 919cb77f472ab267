/**
 * The operational alerts' log (`ops_alert_log`): an incident claimed by its key before anything is pushed,
 * its opening and its resolved message each with their status and targets, and the leases that let a
 * later check tell a push cut short (`uncertain`, never pushed again) from one never started (pushed).
 */
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { opsAlertLog, sources } from '../schema/index.ts';
import type { OpsAlertKind } from '../schema/index.ts';

export type OpsAlertRow = typeof opsAlertLog.$inferSelect;
export type OpsAlertPatch = Partial<
  Pick<
    OpsAlertRow,
    | 'status'
    | 'reason'
    | 'targets'
    | 'leaseOwner'
    | 'leaseExpiresAt'
    | 'resolveStatus'
    | 'resolveTargets'
    | 'resolveMessage'
  >
>;

/** An incident as the check found it. */
export interface NewOpsAlert {
  key: string;
  kind: OpsAlertKind;
  severity: string;
  subject: string;
  message: string;
  detail: Record<string, string | number | null>;
}

/** Inserts the incident (`queued`, leased) unless its key is known: the new row's id, or null. */
export async function claimOpsAlert(
  db: Db,
  alert: NewOpsAlert,
  lease: { leaseOwner: string; leaseExpiresAt: Date },
  at: Date,
): Promise<number | null> {
  const [row] = await db
    .insert(opsAlertLog)
    .values({ ...alert, ...lease, openedAt: at, updatedAt: at })
    .onConflictDoNothing({ target: opsAlertLog.key })
    .returning({ id: opsAlertLog.id });
  return row?.id ?? null;
}

/**
 * Claims the resolved message of an open incident: sets `resolved_at` where it is still null (only one
 * check wins) and marks the resolved push `sending` under a lease. False when another check had it.
 */
export async function claimResolved(
  db: Db,
  id: number,
  message: string,
  lease: { leaseOwner: string; leaseExpiresAt: Date },
  at: Date,
): Promise<boolean> {
  const rows = await db
    .update(opsAlertLog)
    .set({ resolvedAt: at, resolveMessage: message, resolveStatus: 'sending', ...lease, updatedAt: at })
    .where(and(eq(opsAlertLog.id, id), isNull(opsAlertLog.resolvedAt)))
    .returning({ id: opsAlertLog.id });
  return rows.length > 0;
}

export async function setOpsAlert(db: Db, id: number, patch: OpsAlertPatch, at = new Date()): Promise<void> {
  await db
    .update(opsAlertLog)
    .set({ ...patch, updatedAt: at })
    .where(eq(opsAlertLog.id, id));
}

/** Incidents not resolved yet, oldest first. */
export async function openOpsAlerts(db: Db): Promise<OpsAlertRow[]> {
  return db.select().from(opsAlertLog).where(isNull(opsAlertLog.resolvedAt)).orderBy(opsAlertLog.id);
}

/**
 * Pushes left `sending` by a process that died mid-push (lease run out) become `uncertain` — a message may
 * have gone out, so it is not pushed again. Returns the ids of incidents claimed but never pushed (still
 * `queued`, lease run out), for this check to push.
 */
export async function recoverStaleOpsAlerts(db: Db, now: Date): Promise<{ uncertain: number; queued: number[] }> {
  const expired = and(sql`${opsAlertLog.leaseExpiresAt} is not null`, lt(opsAlertLog.leaseExpiresAt, now));
  const stopped = 'the process pushing it stopped mid-push';
  const opening = await db
    .update(opsAlertLog)
    .set({ status: 'uncertain', reason: stopped, leaseOwner: null, leaseExpiresAt: null, updatedAt: now })
    .where(and(eq(opsAlertLog.status, 'sending'), expired))
    .returning({ id: opsAlertLog.id });
  const resolved = await db
    .update(opsAlertLog)
    .set({ resolveStatus: 'uncertain', leaseOwner: null, leaseExpiresAt: null, updatedAt: now })
    .where(and(eq(opsAlertLog.resolveStatus, 'sending'), expired))
    .returning({ id: opsAlertLog.id });
  const queued = await db
    .select({ id: opsAlertLog.id })
    .from(opsAlertLog)
    .where(and(eq(opsAlertLog.status, 'queued'), expired));
  return { uncertain: opening.length + resolved.length, queued: queued.map((r) => r.id) };
}

/** Takes the lease of an incident claimed but never pushed; false when another check took it first. */
export async function takeQueuedOpsAlert(
  db: Db,
  id: number,
  lease: { leaseOwner: string; leaseExpiresAt: Date },
  now: Date,
): Promise<OpsAlertRow | null> {
  const [row] = await db
    .update(opsAlertLog)
    .set({ ...lease, updatedAt: now })
    .where(and(eq(opsAlertLog.id, id), eq(opsAlertLog.status, 'queued'), lt(opsAlertLog.leaseExpiresAt, now)))
    .returning();
  return row ?? null;
}

/** Recent incidents, newest first. */
export async function listOpsAlerts(db: Db, limit = 50): Promise<OpsAlertRow[]> {
  return db.select().from(opsAlertLog).orderBy(desc(opsAlertLog.id)).limit(limit);
}

/** A source failing: enabled, failing since its last success (or ever), and no success since `since`. */
export interface FailingSource {
  id: number;
  name: string;
  lastSuccessAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
  createdAt: Date;
}

/**
 * Enabled sources whose last fetch failed (`consecutive_failures` > 0) and whose last success — or, never
 * having succeeded, whose creation — is older than `since`.
 */
export async function failingSources(db: Db, since: Date): Promise<FailingSource[]> {
  return db
    .select({
      id: sources.id,
      name: sources.name,
      lastSuccessAt: sources.lastSuccessAt,
      lastError: sources.lastError,
      consecutiveFailures: sources.consecutiveFailures,
      createdAt: sources.createdAt,
    })
    .from(sources)
    .where(
      and(
        eq(sources.enabled, true),
        sql`${sources.consecutiveFailures} > 0`,
        sql`coalesce(${sources.lastSuccessAt}, ${sources.createdAt}) < ${since}`,
      ),
    )
    .orderBy(sources.id);
}

/** A source's health as the resolution needs it; null when it was removed. */
export async function sourceHealth(
  db: Db,
  id: number,
): Promise<{ enabled: boolean; lastSuccessAt: Date | null; consecutiveFailures: number } | null> {
  const [row] = await db
    .select({
      enabled: sources.enabled,
      lastSuccessAt: sources.lastSuccessAt,
      consecutiveFailures: sources.consecutiveFailures,
    })
    .from(sources)
    .where(eq(sources.id, id));
  return row ?? null;
}
