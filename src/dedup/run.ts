import type { Db } from '../db/client.ts';
import { articlesQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { isNearDuplicate } from './cluster.ts';
import { bands, fromSigned64, hamming } from './simhash.ts';

/** What the dedup stage did (DESIGN §6 `dedup`, plus the exact duplicates counted by collect). */
export interface DedupSummary { unique: number; clusters: number; duplicates: number }

/** Near-duplicates are looked for within this window around an article. @defaultValue 72 h */
export const DEDUP_WINDOW_MS = 72 * 3600_000;

/**
 * Assigns every new article to a story: the closest earlier near-duplicate's story (found through the
 * SimHash band index), or a new story of its own.
 */
export async function runDedup(deps: { db: Db; log: Logger }, opts: { windowMs?: number } = {}): Promise<{ unique: number; nearDuplicates: number }> {
  const windowMs = opts.windowMs ?? DEDUP_WINDOW_MS;
  const fresh = await articlesQ.listUnclustered(deps.db);
  let unique = 0;
  let near = 0;
  for (const a of fresh) {
    const h = fromSigned64(a.simhash);
    const from = new Date(a.effectiveAt.getTime() - windowMs);
    const to = new Date(a.effectiveAt.getTime() + windowMs);
    const candidates = await articlesQ.findBandCandidates(deps.db, bands(h), from, to);
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
