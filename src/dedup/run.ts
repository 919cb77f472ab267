import type { Db } from '../db/client.ts';
import { articlesQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_WINDOW_MS, isNearDuplicate } from './cluster.ts';
import { bands, fromSigned64, hamming } from './simhash.ts';

/** What the dedup stage did (DESIGN §6 `dedup`, plus the exact duplicates counted by collect). */
export interface DedupSummary { unique: number; clusters: number; duplicates: number }

/**
 * Assigns every new article, in publication order, to a story: the story of its closest near-duplicate
 * (candidates from the band and number indexes, decided by `isNearDuplicate` exactly as `clusterItems`
 * does), or a new story of its own.
 */
export async function runDedup(deps: { db: Db; log: Logger }, opts: { windowMs?: number } = {}): Promise<{ unique: number; nearDuplicates: number }> {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const fresh = await articlesQ.listUnclustered(deps.db);
  let unique = 0;
  let near = 0;
  for (const a of fresh) {
    const h = fromSigned64(a.simhash);
    const from = new Date(a.effectiveAt.getTime() - windowMs);
    const to = new Date(a.effectiveAt.getTime() + windowMs);
    const candidates = await articlesQ.findDedupCandidates(deps.db, bands(h), a.dedupNumbers, from, to);
    const me = { simhash: h, title: a.title, text: a.content ?? a.summary ?? '' };
    let best: { clusterId: number; distance: number } | null = null;
    for (const c of candidates) {
      const other = { simhash: fromSigned64(c.simhash), title: c.title, text: c.content ?? c.summary ?? '' };
      if (!isNearDuplicate(me, other)) continue;
      const distance = hamming(me.simhash, other.simhash);
      if (!best || distance < best.distance) best = { clusterId: c.clusterId!, distance };
    }
    if (best) {
      await articlesQ.addToCluster(deps.db, a.id, best.clusterId);
      near++;
      deps.log.debug({ article_id: a.id, cluster_id: best.clusterId, distance: best.distance }, 'near-duplicate joined story');
    } else {
      await articlesQ.createClusterFor(deps.db, a);
      unique++;
    }
  }
  return { unique, nearDuplicates: near };
}
