import { and, desc, eq, inArray, or } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articles, extractions } from '../schema/index.ts';
import type { Extraction } from '../../domain.ts';

export type ExtractionRow = typeof extractions.$inferSelect;

/** A stored result for the same text, prompt version and model (text seen before costs nothing). */
export async function findCachedExtraction(
  db: Db,
  contentHash: string,
  promptVersion: string,
  model: string,
): Promise<ExtractionRow | null> {
  const [row] = await db
    .select()
    .from(extractions)
    .where(
      and(
        eq(extractions.contentHash, contentHash),
        eq(extractions.promptVersion, promptVersion),
        eq(extractions.model, model),
      ),
    )
    .orderBy(desc(extractions.id))
    .limit(1);
  return row ?? null;
}

/** Stores an article's extraction (idempotent per article, provider and prompt version). */
export async function saveExtraction(
  db: Db,
  e: {
    articleId: number;
    provider: string;
    model: string;
    promptVersion: string;
    contentHash: string;
    result: Extraction;
  },
): Promise<boolean> {
  const rows = await db
    .insert(extractions)
    .values(e)
    .onConflictDoNothing({ target: [extractions.articleId, extractions.provider, extractions.promptVersion] })
    .returning({ id: extractions.id });
  return rows.length > 0;
}

/** The newest extraction of each article. */
export async function latestExtractions(db: Db, articleIds: number[]): Promise<Map<number, ExtractionRow>> {
  const out = new Map<number, ExtractionRow>();
  if (articleIds.length === 0) return out;
  const rows = await db
    .select()
    .from(extractions)
    .where(inArray(extractions.articleId, articleIds))
    .orderBy(desc(extractions.id));
  for (const r of rows) if (!out.has(r.articleId)) out.set(r.articleId, r);
  return out;
}

/**
 * Stored results for any of these texts made by any of these (prompt version, model) pairs — the
 * content-hash cache for a whole edition in one query. Newest first.
 */
export async function findCachedByContent(
  db: Db,
  contentHashes: string[],
  keys: { promptVersion: string; model: string }[],
): Promise<ExtractionRow[]> {
  if (contentHashes.length === 0 || keys.length === 0) return [];
  return db
    .select()
    .from(extractions)
    .where(
      and(
        inArray(extractions.contentHash, [...new Set(contentHashes)]),
        or(...keys.map((k) => and(eq(extractions.promptVersion, k.promptVersion), eq(extractions.model, k.model)))),
      ),
    )
    .orderBy(desc(extractions.id));
}

/**
 * The newest extraction of any article of each story: when a story's representative changes (an earlier
 * copy of it was collected later), the extraction made from another copy of the same story still stands.
 */
export async function latestForClusters(db: Db, clusterIds: number[]): Promise<Map<number, ExtractionRow>> {
  const out = new Map<number, ExtractionRow>();
  if (clusterIds.length === 0) return out;
  const rows = await db
    .select({ clusterId: articles.clusterId, row: extractions })
    .from(extractions)
    .innerJoin(articles, eq(articles.id, extractions.articleId))
    .where(inArray(articles.clusterId, [...new Set(clusterIds)]))
    .orderBy(desc(extractions.id));
  for (const r of rows) if (r.clusterId !== null && !out.has(r.clusterId)) out.set(r.clusterId, r.row);
  return out;
}
