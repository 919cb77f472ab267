/**
 * The operator's statements (src/ops): what a backup records (row counts, the last applied migration) and the
 * data-retention purges. Each purge deletes one batch by primary key, so no statement holds its locks long.
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';

/** `db.execute` returns `{ rows }` on both drivers (node-postgres and PGlite). */
async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

/** Deleted rows of a `delete … returning 1`, on both drivers. */
async function deleted(db: Db, query: SQL): Promise<number> {
  return (await rows(db, query)).length;
}

/** The tables of finrep's schema (`public`), by name. */
export async function tableNames(db: Db): Promise<string[]> {
  const list = await rows<{ name: string }>(
    db,
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  return list.map((r) => r.name);
}

/** Exact row counts of every table of the schema. */
export async function tableRowCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of await tableNames(db)) {
    const [r] = await rows<{ n: number | string }>(db, sql`select count(*) as n from ${sql.identifier(name)}`);
    counts[name] = Number(r?.n ?? 0);
  }
  return counts;
}

/** How many migrations drizzle recorded and the `when` of the newest (its journal's key), or null before any. */
export async function appliedMigrations(db: Db): Promise<{ count: number; when: number } | null> {
  try {
    const [r] = await rows<{ n: number | string; at: number | string | null }>(
      db,
      sql`select count(*) as n, max(created_at) as at from drizzle.__drizzle_migrations`,
    );
    return r?.at == null ? null : { count: Number(r.n), when: Number(r.at) };
  } catch {
    return null; // no migrations table: an empty database
  }
}

/**
 * One batch of finished `delivery_log` rows (sent or failed) last updated before `cutoff`, of editions that are
 * over. Queued, retrying, sending and uncertain rows stay: a delivery still needs them, or an operator does.
 */
export function purgeDeliveriesBatch(db: Db, cutoff: Date, batch: number): Promise<number> {
  return deleted(
    db,
    sql`delete from delivery_log where id in (
          select d.id from delivery_log d join editions e on e.id = d.edition_id
          where d.status in ('sent', 'failed') and d.updated_at < ${cutoff.toISOString()}
            and e.status in ('delivered', 'partial', 'failed')
          limit ${batch})
        returning 1`,
  );
}

/**
 * A story kept whatever its age: it was seen after `cutoff`, or one of its articles is in a report. Written
 * for `c`, a `story_clusters` row.
 */
const keptStory = (cutoff: string) =>
  sql`(c.last_seen_at >= ${cutoff} or exists (
        select 1 from report_items ri join articles m on m.id = ri.article_id where m.cluster_id = c.id))`;

/**
 * One batch of articles first seen before `cutoff` that nothing kept refers to: not in any edition's report,
 * not in a kept story and not the representative of one. Their extractions and dedup keys go with them
 * (cascade); the LLM ledger keeps its rows.
 */
export function purgeArticlesBatch(db: Db, cutoff: Date, batch: number): Promise<number> {
  const at = cutoff.toISOString();
  return deleted(
    db,
    sql`delete from articles where id in (
          select a.id from articles a
          where a.first_seen_at < ${at}
            and not exists (select 1 from report_items ri where ri.article_id = a.id)
            and not exists (select 1 from story_clusters c where c.id = a.cluster_id and ${keptStory(at)})
            and not exists (select 1 from story_clusters c where c.representative_id = a.id and ${keptStory(at)})
          limit ${batch})
        returning 1`,
  );
}

/** One batch of stories last seen before `cutoff` that no article belongs to any more. */
export function purgeEmptyStoriesBatch(db: Db, cutoff: Date, batch: number): Promise<number> {
  return deleted(
    db,
    sql`delete from story_clusters where id in (
          select c.id from story_clusters c
          where c.last_seen_at < ${cutoff.toISOString()}
            and not exists (select 1 from articles a where a.cluster_id = c.id)
          limit ${batch})
        returning 1`,
  );
}
