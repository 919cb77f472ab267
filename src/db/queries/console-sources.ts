/** The console's sources list: one page of sources with their health and recent articles, in one query. */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import type { SourceKind } from '../../domain.ts';
import type { SourceRow } from './sources.ts';

/** What the list can be narrowed to. */
export interface SourceListFilter {
  kind?: SourceKind;
  enabled?: boolean;
  /** `failing`: consecutive failures now; `ok`: fetched and not failing; `never`: never fetched. */
  health?: 'failing' | 'ok' | 'never';
  /** Part of the name, key or URL (case-insensitive). */
  q?: string;
}

/** A listed source: its row without the conditional-GET validators, plus articles collected since `since`. */
export type SourceListRow = Omit<SourceRow, 'etag' | 'lastModified'> & { recentArticles: number };

interface RawRow {
  id: number;
  key: string | null;
  name: string;
  kind: SourceKind;
  url: string;
  rules: SourceRow['rules'];
  weight: number;
  timezone: string | null;
  enabled: boolean;
  allow_private: boolean;
  headers: Record<string, string>;
  last_fetch_at: string | Date | null;
  last_success_at: string | Date | null;
  consecutive_failures: number;
  last_error: string | null;
  next_attempt_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
  recent: number;
}

/** Rows of `db.execute` (node-postgres answers `{ rows }`, some drivers an array). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

const date = (v: string | Date | null): Date | null => (v === null ? null : new Date(v));

function where(f: SourceListFilter): SQL {
  const parts: SQL[] = [sql`true`];
  if (f.kind) parts.push(sql`s.kind = ${f.kind}`);
  if (f.enabled !== undefined) parts.push(sql`s.enabled = ${f.enabled}`);
  if (f.health === 'failing') parts.push(sql`s.consecutive_failures > 0`);
  if (f.health === 'ok') parts.push(sql`s.consecutive_failures = 0 and s.last_success_at is not null`);
  if (f.health === 'never') parts.push(sql`s.last_fetch_at is null`);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    parts.push(sql`(s.name ilike ${like} or s.url ilike ${like} or coalesce(s.key, '') ilike ${like})`);
  }
  return sql.join(parts, sql` and `);
}

/**
 * One page of sources (by id), each with the articles it brought in since `since` (counted for the page's rows
 * only, from `articles_source_seen_idx`), and how many sources match in all (counted apart: a window count
 * would read every matching row before the page's 50).
 */
export async function listSourcesPage(
  db: Db,
  f: SourceListFilter,
  page: { limit: number; offset: number; since: Date },
): Promise<{ rows: SourceListRow[]; total: number }> {
  const [res, total] = await Promise.all([
    db.execute(sql`
    with page as (
      select s.* from sources s
      where ${where(f)}
      order by s.id
      limit ${page.limit} offset ${page.offset}
    )
    select p.*, (
      select count(*) from articles a where a.source_id = p.id and a.first_seen_at >= ${page.since.toISOString()}
    )::int as recent
    from page p order by p.id`),
    countMatching(db, f),
  ]);
  const raw = rowsOf<RawRow>(res);
  return {
    total,
    rows: raw.map((r) => ({
      id: r.id,
      key: r.key,
      name: r.name,
      kind: r.kind,
      url: r.url,
      rules: r.rules,
      weight: Number(r.weight),
      timezone: r.timezone,
      enabled: r.enabled,
      allowPrivate: r.allow_private,
      headers: r.headers,
      lastFetchAt: date(r.last_fetch_at),
      lastSuccessAt: date(r.last_success_at),
      consecutiveFailures: r.consecutive_failures,
      lastError: r.last_error,
      nextAttemptAt: date(r.next_attempt_at),
      createdAt: date(r.created_at)!,
      updatedAt: date(r.updated_at)!,
      recentArticles: Number(r.recent),
    })),
  };
}

async function countMatching(db: Db, f: SourceListFilter): Promise<number> {
  const res = await db.execute(sql`select count(*)::int as n from sources s where ${where(f)}`);
  return Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
}

/** Counts for the list's head: all, enabled, failing now, waiting in backoff at `now`. */
export async function sourceCounts(
  db: Db,
  now: Date,
): Promise<{ total: number; enabled: number; failing: number; backoff: number }> {
  const res = await db.execute(sql`
    select count(*)::int as total,
      (count(*) filter (where enabled))::int as enabled,
      (count(*) filter (where enabled and consecutive_failures > 0))::int as failing,
      (count(*) filter (where enabled and next_attempt_at > ${now.toISOString()}))::int as backoff
    from sources`);
  const r = rowsOf<Record<string, number>>(res)[0] ?? {};
  return { total: r.total ?? 0, enabled: r.enabled ?? 0, failing: r.failing ?? 0, backoff: r.backoff ?? 0 };
}

/** A source's latest fetches, newest first (its health history). */
export async function recentFetches(
  db: Db,
  sourceId: number,
  limit = 10,
): Promise<
  {
    startedAt: Date;
    status: string;
    httpStatus: number | null;
    durationMs: number;
    items: number;
    newItems: number;
    error: string | null;
  }[]
> {
  const res = await db.execute(sql`
    select started_at, status, http_status, duration_ms, items, new_items, error from source_fetches
    where source_id = ${sourceId} order by started_at desc limit ${limit}`);
  return rowsOf<Record<string, unknown>>(res).map((r) => ({
    startedAt: new Date(r.started_at as string),
    status: String(r.status),
    httpStatus: r.http_status === null ? null : Number(r.http_status),
    durationMs: Number(r.duration_ms),
    items: Number(r.items),
    newItems: Number(r.new_items),
    error: (r.error as string | null) ?? null,
  }));
}

/** Articles the source brought in since `since`. */
export async function countRecentArticles(db: Db, sourceId: number, since: Date): Promise<number> {
  const res = await db.execute(
    sql`select count(*)::int as n from articles where source_id = ${sourceId} and first_seen_at >= ${since.toISOString()}`,
  );
  return Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
}
