/**
 * What the console's dashboard, runs and audit pages read: each page's rows in one statement (grouped
 * sub-selects, never one query per row), so they stay fast with 100,000 articles and 1,000 sources.
 */
import { and, asc, desc, eq, gte, ilike, inArray, lt, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { auditLog, editions, runEvents, runs, sources } from '../schema/index.ts';
import type { EditionStatus } from '../schema/editions.ts';

/** One edition as the dashboard lists it: deliveries by outcome and the LLM cost of its calls. */
export interface EditionLine {
  id: number;
  date: string;
  status: EditionStatus;
  stories: number;
  deliveredAt: Date | null;
  sent: number;
  failed: number;
  uncertain: number;
  pending: number;
  cost: number;
}

/**
 * The newest editions (or the one of `date`), each with its delivery counts and LLM cost: one statement over
 * the kept tallies (`delivery_counts`, `llm_usage_rollup`: a few rows per edition), never the 300,000 rows of
 * the delivery log or the ledger's calls.
 */
export async function editionLines(db: Db, opts: { limit?: number; date?: string } = {}): Promise<EditionLine[]> {
  const pick = opts.date ? sql`where date = ${opts.date}` : sql``;
  const rows = await db.execute(sql`
    with chosen as (select * from editions ${pick} order by date desc limit ${opts.limit ?? 30}),
    d as (
      select edition_id,
        sum(n) filter (where status = 'sent') as sent,
        sum(n) filter (where status = 'failed') as failed,
        sum(n) filter (where status = 'uncertain') as uncertain,
        sum(n) filter (where status in ('queued', 'sending', 'retrying')) as pending
      from delivery_counts where edition_id in (select id from chosen) group by edition_id),
    u as (
      select edition_id, sum(cost) as cost from llm_usage_rollup
      where edition_id in (select id from chosen) group by edition_id)
    select c.id, c.date, c.status, c.item_count, c.delivered_at,
      coalesce(d.sent, 0) as sent, coalesce(d.failed, 0) as failed, coalesce(d.uncertain, 0) as uncertain,
      coalesce(d.pending, 0) as pending, coalesce(u.cost, 0) as cost
    from chosen c left join d on d.edition_id = c.id left join u on u.edition_id = c.id
    order by c.date desc`);
  return rowsOf<Record<string, unknown>>(rows).map((r) => ({
    id: Number(r.id),
    date: String(r.date).slice(0, 10),
    status: r.status as EditionStatus,
    stories: Number(r.item_count),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at as string) : null,
    sent: Number(r.sent),
    failed: Number(r.failed),
    uncertain: Number(r.uncertain),
    pending: Number(r.pending),
    cost: Number(r.cost),
  }));
}

/** pg and PGlite both answer `{ rows }`. */
function rowsOf<T>(r: unknown): T[] {
  return (r as { rows: T[] }).rows;
}

/** The newest run of an edition (the one its page shows), or null. */
export async function latestRunOf(db: Db, editionId: number) {
  const [row] = await db.select().from(runs).where(eq(runs.editionId, editionId)).orderBy(desc(runs.id)).limit(1);
  return row ?? null;
}

/** A run's errors and degradations, in order (the dashboard's "errors" list). */
export async function runProblems(db: Db, runId: number, limit = 50) {
  return db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), inArray(runEvents.kind, ['error', 'degraded'])))
    .orderBy(asc(runEvents.id))
    .limit(limit);
}

/** Sources failing now (consecutive failures > 0), the worst first, with how many there are in all. */
export async function failingSources(db: Db, limit = 20) {
  const rows = await db
    .select({
      id: sources.id,
      name: sources.name,
      kind: sources.kind,
      enabled: sources.enabled,
      failures: sources.consecutiveFailures,
      lastError: sources.lastError,
      lastSuccessAt: sources.lastSuccessAt,
      nextAttemptAt: sources.nextAttemptAt,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(sources)
    .where(sql`${sources.consecutiveFailures} > 0`)
    .orderBy(desc(sources.consecutiveFailures), asc(sources.id))
    .limit(limit);
  return { rows, total: rows[0]?.total ?? 0 };
}

/** A page of runs, newest first, with their edition's date, and the number of runs in all. */
export async function runsPage(db: Db, opts: { limit: number; offset: number }) {
  const rows = await db
    .select({
      id: runs.id,
      trigger: runs.trigger,
      status: runs.status,
      startedAt: runs.startedAt,
      finishedAt: runs.finishedAt,
      error: runs.error,
      worker: runs.worker,
      date: editions.date,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(runs)
    .leftJoin(editions, eq(editions.id, runs.editionId))
    .orderBy(desc(runs.id))
    .limit(opts.limit)
    .offset(opts.offset);
  const total = rows[0]?.total ?? (opts.offset > 0 ? await countRuns(db) : 0);
  return { rows, total };
}

async function countRuns(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(runs);
  return row?.n ?? 0;
}

/** A run with its edition's date. */
export async function runWithEdition(db: Db, id: number) {
  const [row] = await db
    .select({ run: runs, date: editions.date })
    .from(runs)
    .leftJoin(editions, eq(editions.id, runs.editionId))
    .where(eq(runs.id, id));
  return row ? { ...row.run, date: row.date } : null;
}

/** A run's newest events, at most `limit`, in order (the page shows where a long run is now). */
export async function lastRunEvents(db: Db, runId: number, limit = 500) {
  const rows = await db
    .select()
    .from(runEvents)
    .where(eq(runEvents.runId, runId))
    .orderBy(desc(runEvents.id))
    .limit(limit);
  return rows.reverse();
}

/** Filters of the audit log page; text filters match anywhere, case-insensitively. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
}

/** `%text%` for ILIKE, with the user's `%`, `_` and `\` taken literally. */
function contains(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A page of the audit log, newest first, filtered, with the number of matching entries. */
export async function auditPage(db: Db, f: AuditFilter, opts: { limit: number; offset: number }) {
  const where: SQL[] = [];
  if (f.actor) where.push(ilike(auditLog.actor, contains(f.actor)));
  if (f.action) where.push(ilike(auditLog.action, contains(f.action)));
  if (f.target) where.push(ilike(auditLog.target, contains(f.target)));
  if (f.from) where.push(gte(auditLog.at, f.from));
  if (f.to) where.push(lt(auditLog.at, f.to));
  const rows = await db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actor: auditLog.actor,
      action: auditLog.action,
      target: auditLog.target,
      detail: auditLog.detail,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(opts.limit)
    .offset(opts.offset);
  return { rows, total: rows[0]?.total ?? 0 };
}

/** The actions the audit log holds (the filter's suggestions). */
export async function auditActions(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ action: auditLog.action }).from(auditLog).orderBy(asc(auditLog.action));
  return rows.map((r) => r.action);
}
