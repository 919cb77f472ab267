import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articles, sources, storyClusters } from '../schema/index.ts';
import type { WindowStory } from './articles.ts';

/**
 * The stories whose representative is one of `articleIds` (an extract job's story), in the shape of
 * `listWindowStories`. An article that is no longer its story's representative is left out.
 */
export async function storiesOfRepresentatives(db: Db, articleIds: readonly number[]): Promise<WindowStory[]> {
  if (articleIds.length === 0) return [];
  const reps = await db.select({
    clusterId: storyClusters.id, size: storyClusters.size, articleId: articles.id, title: articles.title, url: articles.url,
    summary: articles.summary, content: articles.content, publishedAt: articles.publishedAt, effectiveAt: articles.effectiveAt,
    contentHash: articles.contentHash, sourceName: sources.name, sourceKind: sources.kind, sourceWeight: sources.weight,
  }).from(storyClusters)
    .innerJoin(articles, eq(articles.id, storyClusters.representativeId))
    .innerJoin(sources, eq(sources.id, articles.sourceId))
    .where(inArray(articles.id, [...articleIds]));
  return reps.map((r) => ({ ...r, sources: [r.sourceName] }));
}
