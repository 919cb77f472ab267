import type { Db } from '../db/client.ts';
import { dedupIndexQ } from '../db/queries/index.ts';
import type { DedupCandidate, StoryAssignment } from '../db/queries/dedup-index.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_WINDOW_MS, dedupDoc, isNearDuplicate } from './cluster.ts';
import type { NearDuplicateOptions } from './cluster.ts';
import { fingerprint } from './fingerprint.ts';
import type { Fingerprint } from './fingerprint.ts';
import { dedupKeys } from './keys.ts';
import { prefetchLookup } from './lookup.ts';
import { addCandidateStats } from './postings.ts';
import type { CandidateStats } from './postings.ts';
import { bands, hamming, toSigned64 } from './simhash.ts';

/** What the dedup stage did (DESIGN §6 `dedup`, plus the exact duplicates counted by collect). */
export interface DedupSummary {
  unique: number;
  clusters: number;
  duplicates: number;
}

/** The text the decision reads of a stored article: as collect hashed it, content first. */
export function articleText(a: { content: string | null; summary: string | null }): string {
  return a.content ?? a.summary ?? '';
}

/** Fingerprints of recently seen articles: a candidate is usually looked at by several newcomers. */
class FingerprintCache {
  private readonly map = new Map<number, Fingerprint>();
  constructor(private readonly max = 5000) {}

  get(a: { id: number; title: string; content: string | null; summary: string | null }): Fingerprint {
    let f = this.map.get(a.id);
    if (f) return f;
    f = fingerprint(a.title, articleText(a));
    this.set(a.id, f);
    return f;
  }

  /** Keeps the fingerprint of article `id`, computed from its title and `articleText`. */
  set(id: number, f: Fingerprint): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(id, f);
  }
}

/**
 * The story an article joins: the one of its closest near-duplicate among `candidates` (ordered by time, id;
 * from `BatchLookup.candidates`, which leaves out those that could not be one).
 */
export function closestStory(
  me: { title: string; text: string; fp: Fingerprint },
  candidates: readonly DedupCandidate[],
  fingerprints: { get(c: DedupCandidate): Fingerprint },
  opts: NearDuplicateOptions = {},
): { clusterId: number; distance: number } | null {
  const doc = dedupDoc(me.title, me.text, me.fp);
  let best: { clusterId: number; distance: number } | null = null;
  for (const c of candidates) {
    const other = dedupDoc(c.title, articleText(c), fingerprints.get(c));
    if (!isNearDuplicate(doc, other, opts)) continue;
    const distance = hamming(doc.simhash, other.simhash);
    if (!best || distance < best.distance) best = { clusterId: c.clusterId!, distance };
  }
  return best;
}

/**
 * Assigns every new article, in publication order, to a story: the story of its closest near-duplicate
 * (candidates from the band and key indexes, decided by `isNearDuplicate` exactly as `clusterItems` does),
 * or a new story of its own. The article's fingerprint (SimHash, bands, numbers, keys) is recomputed from
 * its title and text and stored with its story, a lookup batch at a time in one transaction
 * (`assignStories`), so what is indexed is always what the decision reads, and an article is either fully
 * deduplicated or not at all.
 */
export async function runDedup(
  deps: { db: Db; log: Logger },
  opts: DedupRunOptions = {},
): Promise<{ unique: number; nearDuplicates: number; created: { articleId: number; effectiveAt: Date }[] }> {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const fresh = await dedupIndexQ.listUnclusteredIds(deps.db);
  const cache = new FingerprintCache();
  if (fresh) await rekeyWindow(deps, cache, fresh.first, fresh.last, windowMs);
  let unique = 0;
  let near = 0;
  const created: { articleId: number; effectiveAt: Date }[] = [];
  const size = opts.lookupBatch ?? LOOKUP_BATCH;
  const ids = fresh?.ids ?? [];
  const clock = phaseClock(opts.phases);
  for (let i = 0; i < ids.length; i += size) {
    // A batch's texts at a time: a flood of one feed is never in memory whole.
    const rows = await dedupIndexQ.unclusteredArticles(deps.db, ids.slice(i, i + size));
    clock('read');
    const batch = rows.map((a) => {
      const fp = fingerprint(a.title, articleText(a));
      return { a, fp, keys: dedupKeys(fp), at: a.effectiveAt };
    });
    clock('fingerprint');
    // Articles of earlier batches are stored by now: this batch's lookup finds them like any other.
    const lookup = await prefetchLookup(deps.db, batch, windowMs);
    clock('lookup');
    const decided: StoryAssignment[] = [];
    for (const n of batch) {
      const { a, fp, keys } = n;
      // Articles assigned since the prefetch can rank a stored article among this one's candidates.
      const missing = lookup.missingTexts([n]);
      if (missing.length > 0) {
        lookup.setTexts(await dedupIndexQ.articleTexts(deps.db, missing));
        if (opts.phases) opts.phases.textQueries++;
      }
      const best = closestStory({ title: a.title, text: articleText(a), fp }, lookup.candidates(n), cache);
      const features = {
        simhash: toSigned64(fp.simhash),
        bands: bands(fp.simhash),
        numbers: [...fp.numbers].sort(),
        keys,
      };
      if (best) {
        near++;
        deps.log.debug(
          { article_id: a.id, cluster_id: best.clusterId, distance: best.distance },
          'near-duplicate joined story',
        );
      } else {
        created.push({ articleId: a.id, effectiveAt: a.effectiveAt });
        unique++;
      }
      decided.push({ article: a, story: best ? best.clusterId : 'new', features });
      // A story started in this batch has no id until the batch is stored: `-representative` stands for it.
      lookup.add(a, best ? best.clusterId : -a.id, fp, keys);
      // The next newcomers verify against this one: its fingerprint is the one `cache.get` would compute.
      cache.set(a.id, fp);
    }
    clock('decide');
    // The batch's decisions in one transaction: the next batch's lookup finds them stored.
    await dedupIndexQ.assignStories(deps.db, decided);
    clock('store');
    if (opts.phases) opts.phases.batches++;
    if (opts.stats) addCandidateStats(opts.stats, lookup.stats);
  }
  await purgeOldKeys(deps, fresh?.first, windowMs + (opts.keyRetentionMarginMs ?? KEY_RETENTION_MARGIN_MS));
  return { unique, nearDuplicates: near, created };
}

export interface DedupRunOptions {
  /** Near-duplicates are looked for within ± this of an article's time. @defaultValue DEFAULT_WINDOW_MS (72 h) */
  windowMs?: number;
  /**
   * Keys of articles older than the window plus this margin, counted back from the oldest article of the run,
   * are purged: no lookup reads them any more, unless an article arrives dated that far back.
   * @defaultValue KEY_RETENTION_MARGIN_MS (7 days)
   */
  keyRetentionMarginMs?: number;
  /** Newcomers looked up together. @defaultValue LOOKUP_BATCH (1,000) */
  lookupBatch?: number;
  /** Filled with the candidate work done (`PostingIndex`): for tests and benchmarks. */
  stats?: CandidateStats;
  /** Filled with where the batches' time went (`dedupPhases()`): for tests and benchmarks. */
  phases?: DedupPhases;
}

/**
 * Wall milliseconds of the batches' phases — reading the batch's articles, fingerprinting them, looking their
 * candidates up, deciding, storing the decisions — with the number of batches and of the text queries a
 * decision had to make on its own (an article assigned earlier in the batch ranking a stored one whose text
 * the prefetch did not bring).
 */
export interface DedupPhases {
  ms: Record<'read' | 'fingerprint' | 'lookup' | 'decide' | 'store', number>;
  batches: number;
  textQueries: number;
}

/** Fresh phase counters. */
export const dedupPhases = (): DedupPhases => ({
  ms: { read: 0, fingerprint: 0, lookup: 0, decide: 0, store: 0 },
  batches: 0,
  textQueries: 0,
});

/** A clock that adds the time since its last tick to the named phase (nothing without `phases`). */
function phaseClock(phases: DedupPhases | undefined): (name: keyof DedupPhases['ms']) => void {
  let last = performance.now();
  return (name) => {
    if (!phases) return;
    const now = performance.now();
    phases.ms[name] += now - last;
    last = now;
  };
}

/**
 * Newcomers looked up together (`prefetchLookup`: one or two queries per batch). A morning's run is one or a few
 * batches; the bound keeps the query's key array and the batch's postings small.
 */
export const LOOKUP_BATCH = 1000;

/** How much longer than the window an article's dedup keys are kept. @defaultValue 7 days */
export const KEY_RETENTION_MARGIN_MS = 7 * 24 * 3_600_000;

/**
 * One purge per run, of the keys older than `retentionMs` before the run's oldest article (a backlog is
 * deduplicated oldest first, so its own lookups stay inside what is kept). Nothing to date it by: no purge.
 */
async function purgeOldKeys(
  deps: { db: Db; log: Logger },
  oldest: Date | undefined,
  retentionMs: number,
): Promise<void> {
  if (!oldest) return;
  const cutoff = new Date(oldest.getTime() - retentionMs);
  const purged = await dedupIndexQ.purgeDedupKeys(deps.db, cutoff);
  if (purged > 0) deps.log.info({ purged_keys: purged, cutoff: cutoff.toISOString() }, 'old dedup keys purged');
}

/**
 * Stores the index keys of the clustered articles that newcomers dated [first, last] could meet and that have
 * none (after a migration that changed the keys): without them, those articles could not be found.
 */
async function rekeyWindow(
  deps: { db: Db; log: Logger },
  cache: { get(c: DedupCandidate): Fingerprint },
  first: Date,
  last: Date,
  windowMs: number,
): Promise<void> {
  const from = new Date(first.getTime() - windowMs);
  const to = new Date(last.getTime() + windowMs);
  let total = 0;
  for (;;) {
    const batch = await dedupIndexQ.listUnkeyed(deps.db, from, to);
    if (batch.length === 0) break;
    await dedupIndexQ.addDedupKeys(
      deps.db,
      batch.map((a) => ({ id: a.id, keys: dedupKeys(cache.get(a)) })),
    );
    total += batch.length;
  }
  if (total > 0)
    deps.log.info(
      { articles: total, from: from.toISOString(), to: to.toISOString() },
      'dedup keys rebuilt for stored articles',
    );
}
