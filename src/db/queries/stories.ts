import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articles, storyClusters } from '../schema/index.ts';
import { selectStories } from './articles.ts';
import type { WindowStory } from './articles.ts';

/**
 * The stories whose representative is one of `articleIds` (an extract job's story), in the shape of
 * `listWindowStories`. An article that is no longer its story's representative is left out.
 */
export async function storiesOfRepresentatives(db: Db, articleIds: readonly number[]): Promise<WindowStory[]> {
  if (articleIds.length === 0) return [];
  const reps = await selectStories(db).where(inArray(articles.id, [...articleIds]));
  return reps.map((r) => ({ ...r, sources: [r.sourceName] }));
}

/**
 * Makes every story with an article in [from, to) represented by its earliest article (by time, then
 * canonical URL), and titled after it. Dedup makes the first article it sees a story's representative, and
 * a pipelined edition deduplicates each source as soon as it is collected: without this, which outlet's
 * copy stands for a story shared by several would depend on which collect job finished first. Returns the
 * stories whose representative changed.
 */
export async function electEarliestRepresentatives(db: Db, from: Date, to: Date): Promise<number[]> {
  const res = await db.execute(sql`
    update ${storyClusters} c set representative_id = e.id, title = e.title
    from (
      select distinct on (a.cluster_id) a.cluster_id, a.id, a.title from ${articles} a
      where a.cluster_id in (
        select cluster_id from ${articles} where effective_at >= ${from.toISOString()} and effective_at < ${to.toISOString()} and cluster_id is not null
      )
      order by a.cluster_id, a.effective_at, a.canonical_url
    ) e
    where c.id = e.cluster_id and c.representative_id is distinct from e.id
    returning c.id`);
  return (res as unknown as { rows: { id: number | string }[] }).rows.map((r) => Number(r.id));
}
