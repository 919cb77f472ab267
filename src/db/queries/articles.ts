import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articles, sources, storyClusters } from '../schema/index.ts';

export type ArticleRow = typeof articles.$inferSelect;
export type NewArticle = typeof articles.$inferInsert;

/**
 * Inserts an article unless its canonical URL, or the same content from the same source, is already stored.
 * Returns the new id, or null for a duplicate.
 */
export async function insertArticle(db: Db, a: NewArticle): Promise<number | null> {
  const [id] = await insertArticles(db, [a]);
  return id ?? null;
}

/** Rows per INSERT statement (its parameters are one array per column, whatever the row count). */
const INSERT_CHUNK = 1000;

/**
 * Inserts articles with `insertArticle`'s rules, as if one after the other in the given order, usually in
 * one statement: a row is a duplicate when its URL hash is already stored or comes earlier in the list, or
 * when its source already has its content hash (stored, or inserted earlier in the list). Returns each row's
 * new id, or null for a duplicate.
 */
export async function insertArticles(db: Db, rows: NewArticle[]): Promise<(number | null)[]> {
  const ids: (number | null)[] = rows.map(() => null);
  const contentKey = (a: NewArticle) => `${a.sourceId}:${a.contentHash}`;
  let pending = rows.map((_, i) => i);
  // A row sharing a URL or a content with an earlier pending row waits for the next round, which it only
  // gets when that earlier row turned out not to take them (it was a duplicate for the other reason).
  while (pending.length > 0) {
    const round: number[] = [];
    const later: number[] = [];
    const [contents, urls] = [new Set<string>(), new Set<string>()];
    for (const i of pending) {
      const a = rows[i]!;
      if (contents.has(contentKey(a)) || urls.has(a.urlHash)) later.push(i);
      else {
        contents.add(contentKey(a));
        urls.add(a.urlHash);
        round.push(i);
      }
    }
    const [urlsTaken, contentsTaken] = [new Set<string>(), new Set<string>()];
    for (let k = 0; k < round.length; k += INSERT_CHUNK) {
      const chunk = round.slice(k, k + INSERT_CHUNK);
      const outcomes = await insertRound(
        db,
        chunk.map((i) => rows[i]!),
      );
      chunk.forEach((i, j) => {
        const { id, contentStored } = outcomes[j]!;
        const a = rows[i]!;
        ids[i] = id;
        if (id !== null || !contentStored) urlsTaken.add(a.urlHash); // inserted, or its URL was stored
        if (id !== null || contentStored) contentsTaken.add(contentKey(a)); // inserted, or its content was
      });
    }
    pending = later.filter((i) => !urlsTaken.has(rows[i]!.urlHash) && !contentsTaken.has(contentKey(rows[i]!)));
  }
  return ids;
}

/** The columns `insertRound` fills, with their types: one array parameter each. */
const INSERT_COLUMNS = [
  ['source_id', 'integer'],
  ['url', 'text'],
  ['canonical_url', 'text'],
  ['url_hash', 'text'],
  ['guid', 'text'],
  ['title', 'text'],
  ['summary', 'text'],
  ['content', 'text'],
  ['author', 'text'],
  ['published_at', 'timestamptz'],
  ['first_seen_at', 'timestamptz'],
  ['effective_at', 'timestamptz'],
  ['content_hash', 'text'],
  ['simhash', 'bigint'],
  ['band0', 'integer'],
  ['band1', 'integer'],
  ['band2', 'integer'],
  ['band3', 'integer'],
  ['dedup_numbers', 'text'],
  ['cluster_id', 'bigint'],
] as const;

/** One value per `INSERT_COLUMNS` entry (dates as ISO strings, bigints and number arrays as text). */
function columnValues(a: NewArticle): (string | number | null)[] {
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  return [
    a.sourceId,
    a.url,
    a.canonicalUrl,
    a.urlHash,
    a.guid ?? null,
    a.title,
    a.summary ?? null,
    a.content ?? null,
    a.author ?? null,
    iso(a.publishedAt),
    iso(a.firstSeenAt),
    iso(a.effectiveAt),
    a.contentHash,
    a.simhash.toString(),
    a.band0,
    a.band1,
    a.band2,
    a.band3,
    a.dedupNumbers ? arrayLiteral(a.dedupNumbers) : null,
    a.clusterId ?? null,
  ];
}

/** A text[] literal: every element quoted, `"` and `\` escaped. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * Inserts rows whose URL hashes and (source, content hash) pairs are distinct, in one statement: the rows
 * travel as one array per column (a fixed, short statement however many rows, and no per-row parameters for
 * the driver and the planner to handle), the same-source content check and the URL conflict are decided by
 * the database, and each row comes back with its new id (null if not inserted) and whether its content was
 * stored before the statement (telling a content duplicate from a URL one).
 */
async function insertRound(db: Db, rows: NewArticle[]): Promise<{ id: number | null; contentStored: boolean }[]> {
  const values = rows.map(columnValues);
  const arrays = INSERT_COLUMNS.map(([, type], c) => sql`${sql.param(values.map((v) => v[c]))}::${sql.raw(type)}[]`);
  const names = sql.raw(INSERT_COLUMNS.map(([name]) => name).join(', '));
  const sameContent = sql`select 1 from ${articles} s where s.source_id = v.source_id and s.content_hash = v.content_hash`;
  const result = await db.execute(sql`
    with v as (
      select * from unnest(${sql.join(arrays, sql`, `)}) with ordinality as v(${names}, ord)
    ), ins as (
      insert into ${articles} (${names})
      select source_id, url, canonical_url, url_hash, guid, title, summary, content, author, published_at,
        coalesce(first_seen_at, now()), effective_at, content_hash, simhash, band0, band1, band2, band3,
        coalesce(dedup_numbers::text[], '{}'), cluster_id
      from v where not exists (${sameContent})
      on conflict (url_hash) do nothing
      returning id, url_hash
    )
    select v.ord, ins.id, exists (${sameContent}) as content_stored
    from v left join ins on ins.url_hash = v.url_hash order by v.ord`);
  const out = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    id: number | string | null;
    content_stored: boolean;
  }[];
  return out.map((r) => ({ id: r.id === null ? null : Number(r.id), contentStored: r.content_stored }));
}

/** One story of an edition window: its representative article and the sources carrying it. */
export interface WindowStory {
  clusterId: number;
  size: number;
  articleId: number;
  title: string;
  url: string;
  summary: string | null;
  content: string | null;
  publishedAt: Date | null;
  effectiveAt: Date;
  contentHash: string;
  sourceName: string;
  sourceKind: string;
  sourceWeight: number;
  sources: string[];
}

/** Stories with their representative article and its source (a query to add a `where` to). */
export function selectStories(db: Db) {
  return db
    .select({
      clusterId: storyClusters.id,
      size: storyClusters.size,
      articleId: articles.id,
      title: articles.title,
      url: articles.url,
      summary: articles.summary,
      content: articles.content,
      publishedAt: articles.publishedAt,
      effectiveAt: articles.effectiveAt,
      contentHash: articles.contentHash,
      sourceName: sources.name,
      sourceKind: sources.kind,
      sourceWeight: sources.weight,
    })
    .from(storyClusters)
    .innerJoin(articles, eq(articles.id, storyClusters.representativeId))
    .innerJoin(sources, eq(sources.id, articles.sourceId));
}

/** The stories with at least one article in [from, to), each with its representative article. */
export async function listWindowStories(db: Db, from: Date, to: Date): Promise<WindowStory[]> {
  const inWindow = await db
    .selectDistinct({ clusterId: articles.clusterId })
    .from(articles)
    .where(
      and(
        gte(articles.effectiveAt, from),
        sql`${articles.effectiveAt} < ${to}`,
        sql`${articles.clusterId} is not null`,
      ),
    );
  const ids = inWindow.map((r) => r.clusterId!).filter((x) => x !== null);
  if (ids.length === 0) return [];
  const reps = await selectStories(db).where(inArray(storyClusters.id, ids)).orderBy(asc(storyClusters.id));
  const names = await db
    .selectDistinct({ clusterId: articles.clusterId, name: sources.name })
    .from(articles)
    .innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(inArray(articles.clusterId, ids));
  const byCluster = new Map<number, string[]>();
  for (const n of names) byCluster.set(n.clusterId!, [...(byCluster.get(n.clusterId!) ?? []), n.name]);
  return reps.map((r) => ({ ...r, sources: (byCluster.get(r.clusterId) ?? [r.sourceName]).sort() }));
}

/** Number of articles whose time falls in [from, to). */
export async function countWindowArticles(db: Db, from: Date, to: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(articles)
    .where(and(gte(articles.effectiveAt, from), sql`${articles.effectiveAt} < ${to}`));
  return row?.n ?? 0;
}

/** Every article in [from, to) with its source, for the workbook's full list. */
export async function listWindowArticles(db: Db, from: Date, to: Date) {
  return db
    .select({
      id: articles.id,
      clusterId: articles.clusterId,
      title: articles.title,
      url: articles.url,
      publishedAt: articles.publishedAt,
      effectiveAt: articles.effectiveAt,
      sourceName: sources.name,
    })
    .from(articles)
    .innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(and(gte(articles.effectiveAt, from), sql`${articles.effectiveAt} < ${to}`))
    .orderBy(asc(articles.effectiveAt), asc(articles.id));
}
