import type { Db } from '../db/client.ts';
import { dedupIndexQ } from '../db/queries/index.ts';
import type { DedupCandidate, StoryAssignment } from '../db/queries/dedup-index.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_WINDOW_MS, dedupDoc, fingerprintOf, isNearDuplicate } from './cluster.ts';
import type { DedupDoc, NearDuplicateOptions } from './cluster.ts';
import { fingerprint } from './fingerprint.ts';
import type { Fingerprint } from './fingerprint.ts';
import { dedupKeys } from './keys.ts';
import type { CandidateStats } from './postings.ts';
import { bands, hamming, toSigned64 } from './simhash.ts';
import { WindowIndex } from './window.ts';
import type { WindowEntry } from './window.ts';
import { metrics } from '../ops/metrics.ts';

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

/**
 * The near-duplicate documents (fingerprint and SimHash, `dedupDoc`) of recently indexed articles, by id: a
 * candidate is usually looked at by many newcomers. Those the cache lacks are fingerprinted from their stored
 * text, read in one query (`load`).
 */
class DocCache {
  private readonly map = new Map<number, { doc: DedupDoc; weight: number }>();
  private weight = 0;
  /** Documents let go to stay within the budget, so far. */
  evicted = 0;
  /** @param budget the documents' size kept at most, in array elements (`weightOf`): ~4 bytes each, plus objects. */
  constructor(private readonly budget = DOC_CACHE_BUDGET) {}

  /** The article's document, computed from its title and `articleText` unless cached. */
  get(a: { id: number; title: string; content: string | null; summary: string | null }): Fingerprint {
    const kept = this.map.get(a.id);
    if (kept) return fingerprintOf(kept.doc);
    const text = articleText(a);
    const fp = fingerprint(a.title, text);
    this.set(a.id, dedupDoc(a.title, text, fp));
    return fp;
  }

  /** Keeps the document of article `id` (its fingerprint computed from its title and `articleText`). */
  set(id: number, doc: DedupDoc): void {
    const weight = weightOf(fingerprintOf(doc));
    const old = this.map.get(id);
    if (old) this.weight -= old.weight;
    this.map.delete(id);
    // The oldest go first: candidates are mostly recent articles.
    for (const [k, v] of this.map) {
      if (this.weight + weight <= this.budget) break;
      this.map.delete(k);
      this.weight -= v.weight;
      this.evicted++;
    }
    this.map.set(id, { doc, weight });
    this.weight += weight;
  }

  /** The ids of `entries` whose document is not cached. */
  missing(entries: readonly { id: number }[]): number[] {
    return [...new Set(entries.filter((e) => !this.map.has(e.id)).map((e) => e.id))];
  }

  /** The documents of `entries`, in order; those not cached read from the database in one query first. */
  async of(db: Db, entries: readonly { id: number }[]): Promise<{ docs: DedupDoc[]; queried: boolean }> {
    const lacking = this.missing(entries);
    // Those cached, taken before the ones read are cached (which can push them out).
    const cached = entries.map((e) => this.map.get(e.id)?.doc);
    const read = new Map<number, DedupDoc>();
    if (lacking.length > 0)
      for (const t of await dedupIndexQ.articleTexts(db, lacking)) {
        const text = articleText(t);
        const doc = dedupDoc(t.title, text, fingerprint(t.title, text));
        read.set(t.id, doc);
        this.set(t.id, doc);
      }
    const docs = entries.map((e, i) => {
      const doc = cached[i] ?? read.get(e.id);
      if (!doc) throw new Error(`dedup: article ${e.id} is indexed but no longer stored`);
      return doc;
    });
    return { docs, queried: lacking.length > 0 };
  }
}

/**
 * What `DocCache` keeps of documents at most, in array elements (`weightOf`): ~25 MB of typed arrays, all of
 * a 100,000-item flood's short items, a few thousand long articles.
 */
const DOC_CACHE_BUDGET = 6_000_000;

/** A fingerprint's size in array elements (shingles, anchors, pairs, contexts), plus a constant for its objects. */
const weightOf = (fp: Fingerprint) =>
  fp.shingles.length +
  fp.anchors.length +
  fp.numberPairs.length +
  2 * fp.contexts.keys.length +
  4 * fp.numbers.size +
  64;

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
 * (candidates from the run's in-memory index of its window, `WindowIndex`, decided by `isNearDuplicate`
 * exactly as `clusterItems` does), or a new story of its own. The article's fingerprint (SimHash, bands,
 * numbers, keys) is recomputed from its title and text and stored with its story, a lookup batch at a time in
 * one transaction (`assignStories`), so what is indexed is always what the decision reads, and an article is
 * either fully deduplicated or not at all. A batch is stored while the next one is decided. One run at a time per database (`withDedupLock`).
 */
export async function runDedup(
  deps: { db: Db; log: Logger },
  opts: DedupRunOptions = {},
): Promise<{ unique: number; nearDuplicates: number; created: { articleId: number; effectiveAt: Date }[] }> {
  return withDedupLock(deps.db, () => dedupUnclustered(deps, opts));
}

async function dedupUnclustered(
  deps: { db: Db; log: Logger },
  opts: DedupRunOptions,
): Promise<{ unique: number; nearDuplicates: number; created: { articleId: number; effectiveAt: Date }[] }> {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const fresh = await dedupIndexQ.listUnclusteredIds(deps.db);
  const docs = new DocCache();
  if (fresh) await rekeyWindow(deps, docs, fresh.first, fresh.last, windowMs);
  let unique = 0;
  let near = 0;
  const created: { articleId: number; effectiveAt: Date }[] = [];
  const size = opts.lookupBatch ?? LOOKUP_BATCH;
  const ids = fresh?.ids ?? [];
  const clock = phaseClock(opts.phases);
  const index = new WindowIndex(windowMs);
  const started = new Map<number, number>();
  // The previous batch's store, running while this batch is read and decided; settles to its error, if any.
  let storing: Promise<unknown> = Promise.resolve(null);
  const settled = async () => {
    const err = await storing;
    storing = Promise.resolve(null);
    if (err) throw err;
  };
  // A batch's texts at a time: a flood of one feed is never in memory whole.
  const read = (i: number) =>
    i < ids.length ? dedupIndexQ.unclusteredArticles(deps.db, ids.slice(i, i + size)) : Promise.resolve([]);
  // A batch fingerprinted, its window read, the texts of its stored candidates read in one query (the run's
  // own are in `docs`): everything its decisions need from the database.
  const prepare = async (i: number) => {
    const rows = await read(i);
    clock('read');
    const batch = rows.map((a) => {
      const fp = fingerprint(a.title, articleText(a));
      return { a, fp, keys: dedupKeys(fp), at: a.effectiveAt };
    });
    clock('fingerprint');
    if (batch.length > 0) await index.cover(deps.db, batch[0]!.at, batch[batch.length - 1]!.at, settled);
    // Nothing to read while every indexed article is one of the run's own, all still kept (a flood's first
    // tens of thousands of items): their candidates need not be listed twice.
    if (index.loaded.articles > 0 || docs.evicted > 0)
      await docs.of(
        deps.db,
        batch.flatMap((n) => index.candidates(n)),
      );
    clock('lookup');
    return batch;
  };
  let batch = await prepare(0);
  for (let i = 0; i < ids.length; i += size) {
    const decided: StoryAssignment[] = [];
    for (const n of batch) {
      const { a, fp, keys } = n;
      const candidates = index.candidates(n, opts.stats);
      // Articles assigned earlier in the batch can rank a stored article whose text was not loaded yet.
      const others = await docs.of(deps.db, candidates);
      if (others.queried && opts.phases) opts.phases.textQueries++;
      const doc = dedupDoc(a.title, articleText(a), fp);
      const best = closestEntry(doc, candidates, others.docs);
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
      const features = {
        simhash: toSigned64(fp.simhash),
        bands: bands(fp.simhash),
        numbers: [...fp.numbers].sort(),
        keys,
      };
      decided.push({ article: a, story: best ? best.clusterId : 'new', features });
      // A story started in this run has no id until its batch is stored: `-representative` stands for it.
      index.add(a.id, a.effectiveAt, best ? best.clusterId : -a.id, fp.simhash, keys);
      docs.set(a.id, doc);
    }
    clock('decide');
    // One store at a time, in order: this batch's may name stories the previous one creates.
    await settled();
    clock('store');
    // The next batch is prepared first: on PGlite (one connection) a query waits for the store before it, and
    // the store then runs in PGlite's thread while this one decides the next batch.
    const next = await prepare(i + size);
    storing = dedupIndexQ.assignStories(deps.db, decided, started).then(
      () => null,
      (err: unknown) => err,
    );
    if (opts.phases) opts.phases.batches++;
    batch = next;
  }
  await settled();
  clock('store');
  metrics.deduplicated(unique, near);
  return { unique, nearDuplicates: near, created };
}

/** The story of `doc`'s closest near-duplicate among `candidates` (oldest first: a tie goes to the older). */
function closestEntry(
  doc: DedupDoc,
  candidates: readonly WindowEntry[],
  docs: readonly DedupDoc[],
  opts: NearDuplicateOptions = {},
): { clusterId: number; distance: number } | null {
  let best: { clusterId: number; distance: number } | null = null;
  for (const [i, c] of candidates.entries()) {
    const other = docs[i]!;
    if (!isNearDuplicate(doc, other, opts)) continue;
    const distance = hamming(doc.simhash, other.simhash);
    if (!best || distance < best.distance) best = { clusterId: c.clusterId, distance };
  }
  return best;
}

export interface DedupRunOptions {
  /** Near-duplicates are looked for within ± this of an article's time. @defaultValue DEFAULT_WINDOW_MS (72 h) */
  windowMs?: number;
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
 * Newcomers read, decided and stored together (one transaction per batch). The bound keeps a batch's texts
 * and its statements' arrays small.
 */
export const LOOKUP_BATCH = 1000;

/**
 * How much longer than the window the former key table's keys were kept (its purge; the dedup-lookup
 * benchmark still simulates it). @defaultValue 7 days
 */
export const KEY_RETENTION_MARGIN_MS = 7 * 24 * 3_600_000;

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

/** The advisory lock a dedup run holds on PostgreSQL (the migration lock is 727001, an edition's 727002). */
const DEDUP_LOCK = 727003;

/** Runs in this process, per database handle: each waits for the one before. */
const runs = new WeakMap<object, Promise<unknown>>();

/** What `withDedupLock` needs of node-postgres' pool: a connection of its own. */
interface Pool {
  connect(): Promise<{ query(text: string, values?: unknown[]): Promise<unknown>; release(): void }>;
  idleCount: number;
}

/**
 * Runs `fn` as the only dedup run on the database: after the runs of this process that came before (PGlite's
 * one process), and on PostgreSQL holding a session advisory lock on a connection of its own, so that the
 * runs of other workers wait — the run's in-memory index (`WindowIndex`) must be what is stored, and two runs
 * must not assign the same newcomers. The dedup queue already runs one job at a time across workers; the lock
 * holds it when a job is handed over while its run is still writing. A lost connection releases the lock.
 */
export async function withDedupLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const before = runs.get(db) ?? Promise.resolve();
  const mine = before.then(async () => {
    const client = (db as unknown as { $client?: unknown }).$client as Pool | undefined;
    if (!client || typeof client.connect !== 'function' || typeof client.idleCount !== 'number') return fn();
    const conn = await client.connect();
    try {
      await conn.query('select pg_advisory_lock($1)', [DEDUP_LOCK]);
      return await fn();
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [DEDUP_LOCK]).catch(() => {});
      conn.release();
    }
  });
  runs.set(
    db,
    mine.catch(() => {}),
  );
  return mine;
}
