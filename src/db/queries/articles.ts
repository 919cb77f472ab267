import { and, asc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articles, sources, storyClusters } from '../schema/index.ts';

export type ArticleRow = typeof articles.$inferSelect;
export type NewArticle = typeof articles.$inferInsert;

/**
 * Inserts an article unless its canonical URL, or the same content from the same source, is already stored.
 * Returns the new id, or null for a duplicate.
 */
export async function insertArticle(db: Db, a: NewArticle): Promise<number | null> {
  const [same] = await db.select({ id: articles.id }).from(articles)
    .where(and(eq(articles.sourceId, a.sourceId), eq(articles.contentHash, a.contentHash))).limit(1);
  if (same) return null;
  const [row] = await db.insert(articles).values(a).onConflictDoNothing({ target: articles.urlHash }).returning({ id: articles.id });
  return row?.id ?? null;
}

/** Articles not yet assigned to a story, oldest first. */
export async function listUnclustered(db: Db): Promise<ArticleRow[]> {
  return db.select().from(articles).where(isNull(articles.clusterId)).orderBy(asc(articles.effectiveAt), asc(articles.id));
}

/**
 * Clustered articles within [from, to] that could be near-duplicates: sharing a SimHash band (every pair
 * within 3 bits does) or at least one significant number (every rewrite pair shares two).
 */
export async function findDedupCandidates(db: Db, bands: [number, number, number, number], numbers: string[], from: Date, to: Date) {
  const shared = numbers.length > 0
    ? sql`${articles.dedupNumbers} && ARRAY[${sql.join(numbers.map((n) => sql`${n}`), sql`, `)}]::text[]`
    : sql`false`;
  return db.select({
    id: articles.id, simhash: articles.simhash, title: articles.title, content: articles.content, summary: articles.summary,
    effectiveAt: articles.effectiveAt, clusterId: articles.clusterId,
  }).from(articles)
    .where(and(
      or(eq(articles.band0, bands[0]), eq(articles.band1, bands[1]), eq(articles.band2, bands[2]), eq(articles.band3, bands[3]), shared),
      gte(articles.effectiveAt, from), lte(articles.effectiveAt, to),
      sql`${articles.clusterId} is not null`,
    ))
    .orderBy(asc(articles.effectiveAt), asc(articles.id));
}

/** Puts an article in a new story of its own. */
export async function createClusterFor(db: Db, a: ArticleRow): Promise<number> {
  return db.transaction(async (tx) => {
    const [c] = await tx.insert(storyClusters).values({
      representativeId: a.id, title: a.title, size: 1, articleCount: 1, firstSeenAt: a.effectiveAt, lastSeenAt: a.effectiveAt,
    }).returning({ id: storyClusters.id });
    await tx.update(articles).set({ clusterId: c!.id }).where(eq(articles.id, a.id));
    return c!.id;
  });
}

/** Adds an article to an existing story and refreshes the story's size (distinct sources). */
export async function addToCluster(db: Db, articleId: number, clusterId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(articles).set({ clusterId }).where(eq(articles.id, articleId));
    await tx.update(storyClusters).set({
      size: sql`(select count(distinct ${articles.sourceId})::int from ${articles} where ${articles.clusterId} = ${clusterId})`,
      articleCount: sql`(select count(*)::int from ${articles} where ${articles.clusterId} = ${clusterId})`,
      lastSeenAt: sql`(select max(${articles.effectiveAt}) from ${articles} where ${articles.clusterId} = ${clusterId})`,
    }).where(eq(storyClusters.id, clusterId));
  });
}

/** One story of an edition window: its representative article and the sources carrying it. */
export interface WindowStory {
  clusterId: number; size: number; articleId: number; title: string; url: string; summary: string | null; content: string | null;
  publishedAt: Date | null; effectiveAt: Date; contentHash: string; sourceName: string; sourceKind: string; sourceWeight: number;
  sources: string[];
}

/** The stories with at least one article in [from, to), each with its representative article. */
export async function listWindowStories(db: Db, from: Date, to: Date): Promise<WindowStory[]> {
  const inWindow = await db.selectDistinct({ clusterId: articles.clusterId }).from(articles)
    .where(and(gte(articles.effectiveAt, from), sql`${articles.effectiveAt} < ${to}`, sql`${articles.clusterId} is not null`));
  const ids = inWindow.map((r) => r.clusterId!).filter((x) => x !== null);
  if (ids.length === 0) return [];
  const reps = await db.select({
    clusterId: storyClusters.id, size: storyClusters.size, articleId: articles.id, title: articles.title, url: articles.url,
    summary: articles.summary, content: articles.content, publishedAt: articles.publishedAt, effectiveAt: articles.effectiveAt,
    contentHash: articles.contentHash, sourceName: sources.name, sourceKind: sources.kind, sourceWeight: sources.weight,
  }).from(storyClusters)
    .innerJoin(articles, eq(articles.id, storyClusters.representativeId))
    .innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(inArray(storyClusters.id, ids))
    .orderBy(asc(storyClusters.id));
  const names = await db.selectDistinct({ clusterId: articles.clusterId, name: sources.name }).from(articles)
    .innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(inArray(articles.clusterId, ids));
  const byCluster = new Map<number, string[]>();
  for (const n of names) byCluster.set(n.clusterId!, [...(byCluster.get(n.clusterId!) ?? []), n.name]);
  return reps.map((r) => ({ ...r, sources: (byCluster.get(r.clusterId) ?? [r.sourceName]).sort() }));
}

/** Number of articles whose time falls in [from, to). */
export async function countWindowArticles(db: Db, from: Date, to: Date): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(articles)
    .where(and(gte(articles.effectiveAt, from), sql`${articles.effectiveAt} < ${to}`));
  return row?.n ?? 0;
}

/** Every article in [from, to) with its source, for the workbook's full list. */
export async function listWindowArticles(db: Db, from: Date, to: Date) {
  return db.select({
    id: articles.id, clusterId: articles.clusterId, title: articles.title, url: articles.url, publishedAt: articles.publishedAt,
    effectiveAt: articles.effectiveAt, sourceName: sources.name,
  }).from(articles).innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(and(gte(articles.effectiveAt, from), sql`${articles.effectiveAt} < ${to}`))
    .orderBy(asc(articles.effectiveAt), asc(articles.id));
}
