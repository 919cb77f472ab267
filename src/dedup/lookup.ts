/**
 * The former near-duplicate lookup of the dedup stage, on the key table `article_dedup_keys`: the stage now
 * reads its window once into memory (`window.ts`); this stays for the dedup-lookup benchmark until it is
 * ported. One batch of newcomers at a time. A morning's run deduplicates
 * hundreds or thousands of articles; asking the database once per article costs a round trip each, and the
 * round trip — not PostgreSQL's index work, a fraction of a millisecond — is what makes a lookup slow in the
 * tail. So the stage asks once per batch, rarely twice:
 *
 * 1. `findKeyedArticles`: the stored articles that carry a key of a newcomer near its time (`keySegments`: one
 *    index-only range scan per key and segment of the batch, stopping after `RARE_KEY_POSTINGS` + 1 postings:
 *    a key that a whole template carries gives its `FREQUENT_KEY_SAMPLE` latest articles only, flagged), with
 *    the keys each carries, its SimHash, and its text if it shares an anchor or a number pair (a text key);
 * 2. `articleTexts`, only if needed: the text of band-only matches within the copy distance (`couldMatch`) —
 *    most band-only matches are chance collisions of a 16-bit band, far in SimHash, whose text is never read.
 *
 * Each newcomer's lookup is then answered from memory, and the articles the run assigns are added as it goes,
 * so a later newcomer finds an earlier one of the same batch exactly as it would find a stored article.
 */
import type { Db } from '../db/client.ts';
import { dedupIndexQ } from '../db/queries/index.ts';
import type { ArticleText, DedupCandidate, KeySegment, KeyedArticle } from '../db/queries/dedup-index.ts';
import { DEFAULT_MAX_HAMMING } from './cluster.ts';
import type { Fingerprint } from './fingerprint.ts';
import { bandKeys, textKeys } from './keys.ts';
import {
  addCandidateStats,
  candidateStats,
  couldMatch,
  FREQUENT_KEY_SAMPLE,
  PostingIndex,
  RARE_KEY_POSTINGS,
} from './postings.ts';
import type { Candidate, CandidateStats, Posting, Probe } from './postings.ts';
import { fromSigned64, toSigned64 } from './simhash.ts';

/** A newcomer as the lookup sees it: its fingerprint, its `dedupKeys`, its time. */
export interface Newcomer {
  fp: Fingerprint;
  keys: readonly number[];
  at: Date;
}

interface Entry extends Posting {
  id: number;
  clusterId: number;
}

export { couldMatch };

/**
 * The in-memory side of a batch's lookup: the key postings of the batch's range, and the texts it needs. The
 * postings are read as the in-memory clusterer reads them (`PostingIndex`: frequent keys sampled, at most
 * `MAX_VERIFIED` candidates per newcomer), so the stage decides like `clusterItems`.
 */
export class BatchLookup {
  private readonly index: PostingIndex<Entry>;
  private readonly entries = new Map<number, Entry>();
  private readonly texts = new Map<number, ArticleText>();
  private readonly probes = new WeakMap<Newcomer, Probe>();
  private last: { n: Newcomer; version: number; list: Candidate<Entry>[]; stats: CandidateStats } | null = null;
  /**
   * Stored articles found by the batch's keys, how many came with their text, and the texts loaded afterwards
   * — those of band-only matches within the copy distance (diagnostics, benchmarks).
   */
  readonly loaded = { stored: 0, withText: 0, texts: 0 };
  /** The candidate work of the batch's newcomers (`PostingIndex`). */
  readonly stats: CandidateStats = candidateStats();

  constructor(windowMs: number, maxHamming = DEFAULT_MAX_HAMMING) {
    this.index = new PostingIndex<Entry>(windowMs, maxHamming);
  }

  /** Indexes stored articles as `findKeyedArticles` returns them (each under the keys it was found by). */
  addStored(rows: readonly KeyedArticle[]): void {
    this.loaded.stored += rows.length;
    for (const r of rows) {
      if (r.text) {
        this.texts.set(r.id, r.text);
        this.loaded.withText++;
      }
      this.index.add(this.entry(r.id, r.effectiveAt, r.clusterId, fromSigned64(r.simhash)), r.matched);
      for (const k of r.frequent) this.index.markFrequent(k);
    }
  }

  /** Indexes an article the run has just assigned to `clusterId`, under its `keys`. */
  add(a: ArticleText & { effectiveAt: Date }, clusterId: number, fp: Fingerprint, keys: readonly number[]): void {
    this.texts.set(a.id, { id: a.id, title: a.title, content: a.content, summary: a.summary });
    this.index.add(this.entry(a.id, a.effectiveAt, clusterId, fp.simhash), keys);
  }

  /** The indexed articles whose text the decisions of `newcomers` will read and that are not loaded yet. */
  missingTexts(newcomers: readonly Newcomer[]): number[] {
    const ids = new Set<number>();
    for (const n of newcomers)
      for (const { entry } of this.pick(n).list) if (!this.texts.has(entry.id)) ids.add(entry.id);
    return [...ids];
  }

  /** Stores texts loaded for `missingTexts`. */
  setTexts(rows: readonly ArticleText[]): void {
    this.loaded.texts += rows.length;
    for (const r of rows) this.texts.set(r.id, r);
  }

  /**
   * A newcomer's candidates: the indexed articles within ± the window of its time that share a key with it,
   * `couldMatch` and rank among its `MAX_VERIFIED` best, oldest first (then by id), each with its text, its
   * stored SimHash and the keys it shares. Articles added since the prefetch can change which rank best: ask
   * `missingTexts([n])` first.
   */
  candidates(n: Newcomer): DedupCandidate[] {
    const { list, stats } = this.pick(n);
    addCandidateStats(this.stats, stats);
    return list.map(({ entry: e, matched }) => {
      const t = this.texts.get(e.id);
      if (!t)
        throw new Error(
          `dedup lookup: the text of article ${e.id} was not loaded (missingTexts was not asked for this newcomer)`,
        );
      return { ...t, effectiveAt: new Date(e.at), clusterId: e.clusterId, simhash: toSigned64(e.simhash), matched };
    });
  }

  /** A newcomer's candidates, read again only when the index changed since they were last read. */
  private pick(n: Newcomer): { list: Candidate<Entry>[]; stats: CandidateStats } {
    if (this.last?.n === n && this.last.version === this.index.version) return this.last;
    const stats = candidateStats();
    this.last = { n, version: this.index.version, list: this.index.candidates(this.probe(n), stats), stats };
    return this.last;
  }

  private entry(id: number, at: Date, clusterId: number, simhash: bigint): Entry {
    let e = this.entries.get(id);
    if (!e) this.entries.set(id, (e = { id, at: at.getTime(), seq: id, clusterId, simhash }));
    return e;
  }

  private probe(n: Newcomer): Probe {
    let p = this.probes.get(n);
    if (!p)
      this.probes.set(
        n,
        (p = { keys: n.keys, textKeys: new Set(textKeys(n.fp)), simhash: n.fp.simhash, at: n.at.getTime() }),
      );
    return p;
  }
}

/**
 * What a batch's key query asks for: its newcomers, oldest first, cut into segments of at most 2 × `windowMs`
 * (from a segment's first newcomer to its last), each the union of its newcomers' keys over the time their
 * windows cover. A morning's batch is one segment; a backlog spread over a year reads the postings near its
 * newcomers only, never the months in between.
 */
export function keySegments(newcomers: readonly Newcomer[], windowMs: number): KeySegment[] {
  const ordered = [...newcomers].sort((x, y) => x.at.getTime() - y.at.getTime());
  const out: { start: number; last: number; text: Set<number>; band: Set<number> }[] = [];
  for (const n of ordered) {
    const at = n.at.getTime();
    let g = out.at(-1);
    if (!g || at - g.start > 2 * windowMs) out.push((g = { start: at, last: at, text: new Set(), band: new Set() }));
    g.last = at;
    for (const k of textKeys(n.fp)) g.text.add(k);
    for (const k of bandKeys(n.fp)) g.band.add(k);
  }
  return out.map((g) => ({
    textKeys: [...g.text],
    bandKeys: [...g.band],
    from: new Date(g.start - windowMs),
    to: new Date(g.last + windowMs),
  }));
}

/**
 * The lookup of a batch of newcomers: the stored articles near them in time that share a key with any of
 * them (`keySegments`) with the texts of those sharing a text key, then the texts of band-only matches within
 * the copy distance, if any — one or two queries, whatever the batch's size.
 */
export async function prefetchLookup(
  db: Db,
  newcomers: readonly Newcomer[],
  windowMs: number,
  maxHamming = DEFAULT_MAX_HAMMING,
): Promise<BatchLookup> {
  const lookup = new BatchLookup(windowMs, maxHamming);
  if (newcomers.length === 0) return lookup;
  lookup.addStored(
    await dedupIndexQ.findKeyedArticles(db, keySegments(newcomers, windowMs), {
      rare: RARE_KEY_POSTINGS,
      sample: FREQUENT_KEY_SAMPLE,
    }),
  );
  lookup.setTexts(await dedupIndexQ.articleTexts(db, lookup.missingTexts(newcomers)));
  return lookup;
}
