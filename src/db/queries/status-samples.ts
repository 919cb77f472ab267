/**
 * The statements of /admin/status: the database's own numbers, and the trend samples taken every 30 s
 * (`status_samples`, one row per metric per slot — the unique index on (metric, at) keeps a slot single).
 */
import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { statusSamples } from '../schema/index.ts';

/** The metric of the row that claims a slot: whoever inserts it samples that slot. */
export const CLAIM_METRIC = 'sampler.claim';

/** One value of a slot. */
export interface SampleValue {
  metric: string;
  value: number;
  labels?: Record<string, string>;
}

/** One point of a trend: bucket start (ms since the epoch) and the bucket's mean. */
export interface SeriesPoint {
  metric: string;
  t: number;
  value: number;
}

const rowsOf = <T>(r: unknown): T[] => ((r as { rows?: T[] }).rows ?? (r as T[])) as T[];

/** Size, connections (all and active) and the connection limit of the current database. */
export async function databaseStats(
  db: Db,
): Promise<{ sizeBytes: number; connections: number; active: number; maxConnections: number }> {
  const [row] = rowsOf<{ size: string | number; connections: number; active: number; max: number }>(
    await db.execute(sql`
      select pg_database_size(current_database())::float8 as size,
        (select count(*) from pg_stat_activity where datname = current_database())::int as connections,
        (select count(*) from pg_stat_activity where datname = current_database() and state = 'active')::int as active,
        current_setting('max_connections')::int as max`),
  );
  return {
    sizeBytes: Number(row!.size),
    connections: Number(row!.connections),
    active: Number(row!.active),
    maxConnections: Number(row!.max),
  };
}

/**
 * Claims the slot starting at `at` for `instance`: true for the one caller whose row went in, false for
 * every other (the row exists, or another caller's insert of it is committing — the unique index waits).
 */
export async function claimSlot(db: Db, at: Date, instance: string): Promise<boolean> {
  const rows = await db
    .insert(statusSamples)
    .values({ at, metric: CLAIM_METRIC, value: 1, labels: { instance } })
    .onConflictDoNothing({ target: [statusSamples.metric, statusSamples.at] })
    .returning({ id: statusSamples.id });
  return rows.length === 1;
}

/** The values of a slot (a value already there for its metric and slot is kept). */
export async function insertSamples(db: Db, at: Date, values: readonly SampleValue[]): Promise<void> {
  if (values.length === 0) return;
  await db
    .insert(statusSamples)
    .values(values.map((v) => ({ at, metric: v.metric, value: v.value, labels: v.labels ?? {} })))
    .onConflictDoNothing({ target: [statusSamples.metric, statusSamples.at] });
}

/** Deletes samples older than `before`; returns how many. */
export async function purgeSamplesBefore(db: Db, before: Date): Promise<number> {
  const rows = await db.delete(statusSamples).where(lt(statusSamples.at, before)).returning({ id: statusSamples.id });
  return rows.length;
}

/**
 * The mean of each metric per `bucketSec` bucket since `from`, oldest first (a 7-day range stays a few
 * hundred points per series).
 */
export async function series(
  db: Db,
  metrics: readonly string[],
  from: Date,
  bucketSec: number,
): Promise<SeriesPoint[]> {
  if (metrics.length === 0) return [];
  // A literal, not a parameter: the select and the group by must be the same expression to PostgreSQL.
  const secs = sql.raw(String(Math.max(1, Math.trunc(bucketSec))));
  const bucket = sql`date_bin(interval '1 second' * ${secs}, ${statusSamples.at}, timestamptz '2000-01-01')`;
  const rows = await db
    .select({
      metric: statusSamples.metric,
      t: sql<number>`(extract(epoch from ${bucket}) * 1000)::float8`,
      value: sql<number>`avg(${statusSamples.value})::float8`,
    })
    .from(statusSamples)
    .where(and(inArray(statusSamples.metric, [...metrics]), gte(statusSamples.at, from)))
    .groupBy(statusSamples.metric, bucket)
    .orderBy(bucket);
  return rows.map((r) => ({ metric: r.metric, t: Number(r.t), value: Number(r.value) }));
}

/** When the last slot was claimed, and by which instance (null before the first sample). */
export async function lastClaim(db: Db): Promise<{ at: Date; instance: string | null } | null> {
  const [row] = await db
    .select({ at: statusSamples.at, labels: statusSamples.labels })
    .from(statusSamples)
    .where(eq(statusSamples.metric, CLAIM_METRIC))
    .orderBy(desc(statusSamples.at))
    .limit(1);
  return row ? { at: row.at, instance: row.labels.instance ?? null } : null;
}

/** Rows per metric and slot (tests: a slot is sampled once). */
export async function countBySlot(db: Db, metric: string): Promise<{ at: Date; n: number; instance: string | null }[]> {
  const rows = await db
    .select({
      at: statusSamples.at,
      n: sql<number>`count(*)::int`,
      instance: sql<string | null>`min(${statusSamples.labels} ->> 'instance')`,
    })
    .from(statusSamples)
    .where(eq(statusSamples.metric, metric))
    .groupBy(statusSamples.at)
    .orderBy(statusSamples.at);
  return rows.map((r) => ({ at: r.at, n: Number(r.n), instance: r.instance }));
}
