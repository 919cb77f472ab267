import { and, desc, eq, gte, inArray, ne, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { leaseUntil } from './lease.ts';
import {
  alertLog,
  alertRunSkips,
  alertRules,
  articles,
  channels,
  extractions,
  runs,
  sources,
  storyClusters,
} from '../schema/index.ts';

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRuleValues = Omit<typeof alertRules.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;
export type AlertLogRow = typeof alertLog.$inferSelect;
export type AlertTargetOutcome = AlertLogRow['targets'][number];

/** Every rule, by name. */
export async function listRules(db: Db): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).orderBy(alertRules.name);
}

export async function listEnabledRules(db: Db): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).where(eq(alertRules.enabled, true)).orderBy(alertRules.id);
}

export async function getRuleByName(db: Db, name: string): Promise<AlertRuleRow | null> {
  const [row] = await db.select().from(alertRules).where(eq(alertRules.name, name));
  return row ?? null;
}

/** Inserts a rule; null when the name is taken. */
export async function insertRule(db: Db, values: AlertRuleValues): Promise<AlertRuleRow | null> {
  const [row] = await db.insert(alertRules).values(values).onConflictDoNothing({ target: alertRules.name }).returning();
  return row ?? null;
}

export async function updateRule(db: Db, id: number, patch: Partial<AlertRuleValues>): Promise<AlertRuleRow | null> {
  const [row] = await db
    .update(alertRules)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(alertRules.id, id))
    .returning();
  return row ?? null;
}

/** Deletes a rule (its alert_log rows go with it); false when there was none. */
export async function deleteRule(db: Db, name: string): Promise<boolean> {
  const rows = await db.delete(alertRules).where(eq(alertRules.name, name)).returning({ id: alertRules.id });
  return rows.length > 0;
}

/** A story as the rules see it: its representative article, source and newest extraction. */
export interface AlertStory {
  storyId: number;
  articleId: number;
  title: string;
  url: string;
  sourceName: string;
  /** When its representative article was collected. */
  firstSeenAt: Date;
  extraction: (typeof extractions.$inferSelect)['result'];
}

/** Stories whose representative was collected at or after `since` and has an extraction, oldest first. */
export async function storiesSince(db: Db, since: Date, limit = 2000): Promise<AlertStory[]> {
  return withExtractions(db, await storyRows(db, gte(articles.firstSeenAt, since), limit));
}

/** These stories (those whose representative has an extraction). */
export async function storiesByIds(db: Db, ids: number[]): Promise<AlertStory[]> {
  if (ids.length === 0) return [];
  return withExtractions(db, await storyRows(db, inArray(storyClusters.id, ids), ids.length));
}

function storyRows(db: Db, where: SQL | undefined, limit: number) {
  return db
    .select({
      storyId: storyClusters.id,
      articleId: articles.id,
      title: articles.title,
      url: articles.url,
      sourceName: sources.name,
      firstSeenAt: articles.firstSeenAt,
    })
    .from(storyClusters)
    .innerJoin(articles, eq(articles.id, storyClusters.representativeId))
    .innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(where)
    .orderBy(storyClusters.id)
    .limit(limit);
}

async function withExtractions(db: Db, reps: Omit<AlertStory, 'extraction'>[]): Promise<AlertStory[]> {
  if (reps.length === 0) return [];
  const rows = await db
    .select({ articleId: extractions.articleId, result: extractions.result })
    .from(extractions)
    .where(
      inArray(
        extractions.articleId,
        reps.map((r) => r.articleId),
      ),
    )
    .orderBy(desc(extractions.id));
  const latest = new Map<number, AlertStory['extraction']>();
  for (const r of rows) if (!latest.has(r.articleId)) latest.set(r.articleId, r.result);
  return reps.flatMap((r) => {
    const extraction = latest.get(r.articleId);
    return extraction ? [{ ...r, extraction }] : [];
  });
}

/**
 * Claims the alert of a story for a rule: the row is inserted (`queued`) or, when it exists, nothing is —
 * only the inserter pushes. Returns the new row's id, or null when the story had already fired the rule.
 */
export async function claimAlert(
  db: Db,
  ruleId: number,
  storyId: number,
  day: string,
  lease: { leaseOwner: string; leaseExpiresAt: Date },
): Promise<number | null> {
  const [row] = await db
    .insert(alertLog)
    .values({ ruleId, storyId, day, ...lease })
    .onConflictDoNothing({ target: [alertLog.ruleId, alertLog.storyId] })
    .returning({ id: alertLog.id });
  return row?.id ?? null;
}

/** Statuses of an alert that was let through to its targets: what the daily cap counts. */
export const ADMITTED_STATUSES = ['sending', 'sent', 'failed', 'uncertain'] as const;

/**
 * Lets a claimed alert through the rule's daily cap, or suppresses it: in one transaction holding a row lock
 * on the rule (`for no key update`), the rule's alerts of `day` already let through are counted and the row is marked `sending`
 * (under `lease`) when they are fewer than `cap`, `suppressed` with `reason` otherwise. Runs racing on one
 * rule take the lock in turn, so the cap holds exactly. True when the row was let through.
 */
export async function admitAlert(
  db: Db,
  id: number,
  o: {
    ruleId: number;
    day: string;
    cap: number;
    lease: { leaseOwner: string; leaseExpiresAt: Date };
    reason: string;
  },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    // `no key update`: racing admissions wait for each other, while claims (whose foreign key takes a key-share
    // lock on the rule) never wait for an admission.
    await tx.execute(sql`select 1 from ${alertRules} where ${alertRules.id} = ${o.ruleId} for no key update`);
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(alertLog)
      .where(
        and(
          eq(alertLog.ruleId, o.ruleId),
          eq(alertLog.day, o.day),
          inArray(alertLog.status, [...ADMITTED_STATUSES]),
          ne(alertLog.id, id),
        ),
      );
    const admitted = (row?.n ?? 0) < o.cap;
    await tx
      .update(alertLog)
      .set(
        admitted
          ? { status: 'sending', ...o.lease, updatedAt: new Date() }
          : { status: 'suppressed', reason: o.reason, leaseOwner: null, leaseExpiresAt: null, updatedAt: new Date() },
      )
      .where(eq(alertLog.id, id));
    return admitted;
  });
}

export async function setAlert(
  db: Db,
  id: number,
  patch: Partial<Pick<AlertLogRow, 'status' | 'reason' | 'targets' | 'leaseOwner' | 'leaseExpiresAt'>>,
): Promise<void> {
  await db
    .update(alertLog)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(alertLog.id, id));
}

/**
 * Alerts left `sending` by a process that died mid-push (their lease ran out): marked `uncertain` and
 * never pushed again — a message may have gone out. Rows `queued` whose lease ran out (claimed, nothing sent
 * yet) are handed back as ids to push.
 */
export async function recoverStaleAlerts(db: Db, now: Date): Promise<{ uncertain: number; queued: number[] }> {
  const expired = sql`${alertLog.leaseExpiresAt} is not null and ${alertLog.leaseExpiresAt} < ${now}`;
  const uncertain = await db
    .update(alertLog)
    .set({ status: 'uncertain', reason: 'the process pushing it stopped mid-push', updatedAt: now })
    .where(and(eq(alertLog.status, 'sending'), expired))
    .returning({ id: alertLog.id });
  const queued = await db
    .select({ id: alertLog.id })
    .from(alertLog)
    .where(and(eq(alertLog.status, 'queued'), expired));
  return { uncertain: uncertain.length, queued: queued.map((r) => r.id) };
}

/** Takes the lease of a queued alert (another run's, whose lease ran out); false when someone else took it. */
export async function takeQueuedAlert(db: Db, id: number, owner: string, until: Date, now: Date): Promise<boolean> {
  const rows = await db
    .update(alertLog)
    .set({ leaseOwner: owner, leaseExpiresAt: until, updatedAt: now })
    .where(
      and(
        eq(alertLog.id, id),
        eq(alertLog.status, 'queued'),
        sql`(${alertLog.leaseExpiresAt} is null or ${alertLog.leaseExpiresAt} < ${now})`,
      ),
    )
    .returning({ id: alertLog.id });
  return rows.length > 0;
}

export async function getAlert(db: Db, id: number): Promise<AlertLogRow | null> {
  const [row] = await db.select().from(alertLog).where(eq(alertLog.id, id));
  return row ?? null;
}

/** Recent alerts, newest first, with their rule's name and the story's title. */
export async function listAlertLog(db: Db, opts: { ruleId?: number; limit?: number } = {}) {
  return db
    .select({
      id: alertLog.id,
      rule: alertRules.name,
      storyId: alertLog.storyId,
      title: storyClusters.title,
      day: alertLog.day,
      status: alertLog.status,
      reason: alertLog.reason,
      targets: alertLog.targets,
      createdAt: alertLog.createdAt,
      updatedAt: alertLog.updatedAt,
    })
    .from(alertLog)
    .innerJoin(alertRules, eq(alertRules.id, alertLog.ruleId))
    .innerJoin(storyClusters, eq(storyClusters.id, alertLog.storyId))
    .where(opts.ruleId === undefined ? undefined : eq(alertLog.ruleId, opts.ruleId))
    .orderBy(desc(alertLog.id))
    .limit(opts.limit ?? 50);
}

/** Which of these stories an alert reached (`sent`): the next report marks them 已预警. */
export async function alertedStories(db: Db, storyIds: number[]): Promise<Set<number>> {
  if (storyIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ storyId: alertLog.storyId })
    .from(alertLog)
    .where(and(inArray(alertLog.storyId, storyIds), eq(alertLog.status, 'sent')));
  return new Set(rows.map((r) => r.storyId));
}

/** Channels of these names (id and name). */
export async function channelsNamed(db: Db, names: string[]): Promise<{ id: number; name: string }[]> {
  if (names.length === 0) return [];
  return db.select({ id: channels.id, name: channels.name }).from(channels).where(inArray(channels.name, names));
}

/** Channels of these ids (id and name). */
export async function channelsWithIds(db: Db, ids: number[]): Promise<{ id: number; name: string }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: channels.id, name: channels.name })
    .from(channels)
    .where(inArray(channels.id, [...new Set(ids)]));
}

/**
 * How long an alert run still `running` keeps the next from starting after its process last renewed it (its
 * start, then every {@link ALERT_RUN_HEARTBEAT_MS} while it works): the lease a run whose process died
 * holds on. @defaultValue 15 min
 */
export const ALERT_RUN_LEASE_MS = 15 * 60_000;

/** How often a working alert run renews its lease. @defaultValue 1 min */
export const ALERT_RUN_HEARTBEAT_MS = 60_000;

/** How many skipped alert runs `alert_run_skips` keeps (the newest). @defaultValue 200 */
export const ALERT_RUN_SKIPS_KEPT = 200;

/** The live alert run that held a new one off. */
export interface LiveAlertRun {
  activeRunId: number;
  worker: string | null;
  startedAt: Date;
}

/**
 * Starts the record of an alert run (its lease `leaseMs` from now) unless another alert run is live
 * (`running`, its lease not run out by the database's clock): one at a time, decided under an advisory lock
 * so two workers firing together start one. A run held off is recorded in `alert_run_skips` (with `record`:
 * who fired). Returns the new run's id, or the live run's.
 */
export async function claimAlertRun(
  db: Db,
  editionId: number,
  record: { worker: string | null; jobId: string | null },
  leaseMs = ALERT_RUN_LEASE_MS,
): Promise<{ runId: number } | LiveAlertRun> {
  return db.transaction(async (tx) => {
    // 727001 is the migration's lock, 727002 an edition's, 727003 dedup's.
    await tx.execute(sql`select pg_advisory_xact_lock(727004, 0)`);
    const [live] = await tx
      .select({ id: runs.id, worker: runs.worker, startedAt: runs.startedAt })
      .from(runs)
      .where(and(eq(runs.trigger, 'alerts'), eq(runs.status, 'running'), sql`${runs.leaseExpiresAt} > now()`))
      .orderBy(desc(runs.id))
      .limit(1);
    if (live) {
      await tx.insert(alertRunSkips).values({ runId: live.id, ...record });
      await tx.execute(sql`delete from ${alertRunSkips} where ${alertRunSkips.id} <= (
        select id from ${alertRunSkips} order by id desc offset ${ALERT_RUN_SKIPS_KEPT} limit 1)`);
      return { activeRunId: live.id, worker: live.worker, startedAt: live.startedAt };
    }
    const [row] = await tx
      .insert(runs)
      .values({ editionId, trigger: 'alerts', status: 'running', leaseExpiresAt: leaseUntil(leaseMs), ...record })
      .returning({ id: runs.id });
    return { runId: row!.id };
  });
}

/**
 * Extends the lease of an alert run still `running` to `leaseMs` from now (its process's heartbeat; also
 * when a worker resumes it). False when the run is no longer running.
 */
export async function renewAlertRun(db: Db, runId: number, leaseMs = ALERT_RUN_LEASE_MS): Promise<boolean> {
  const rows = await db
    .update(runs)
    .set({ leaseExpiresAt: leaseUntil(leaseMs) })
    .where(and(eq(runs.id, runId), eq(runs.status, 'running')))
    .returning({ id: runs.id });
  return rows.length > 0;
}

/** A skipped alert run, with the run that held it off. */
export interface AlertRunSkipRow {
  at: Date;
  runId: number;
  /** Who fired the skipped run (null: `finrep alerts run` queuing it). */
  worker: string | null;
  jobId: string | null;
  holder: { worker: string | null; startedAt: Date; status: string };
}

/** The newest skipped alert runs, newest first. */
export async function recentAlertRunSkips(db: Db, limit = 10): Promise<AlertRunSkipRow[]> {
  const rows = await db
    .select({
      at: alertRunSkips.at,
      runId: alertRunSkips.runId,
      worker: alertRunSkips.worker,
      jobId: alertRunSkips.jobId,
      holderWorker: runs.worker,
      startedAt: runs.startedAt,
      status: runs.status,
    })
    .from(alertRunSkips)
    .innerJoin(runs, eq(runs.id, alertRunSkips.runId))
    .orderBy(desc(alertRunSkips.id))
    .limit(limit);
  return rows.map(({ holderWorker, startedAt, status, ...r }) => ({
    ...r,
    holder: { worker: holderWorker, startedAt, status },
  }));
}

/** How many alert runs this run held off, and when the last was (null: none). */
export async function skipsHeldBy(db: Db, runId: number): Promise<{ count: number; last: Date } | null> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int`, last: sql<string | Date | null>`max(${alertRunSkips.at})` })
    .from(alertRunSkips)
    .where(eq(alertRunSkips.runId, runId));
  return row && row.last ? { count: Number(row.count), last: new Date(row.last) } : null;
}
