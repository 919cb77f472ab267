/**
 * The dedup stage's near-duplicate lookup, one batch of newcomers at a time. A morning's run deduplicates
 * hundreds or thousands of articles; asking the database once per article costs a round trip each, and the
 * round trip — not PostgreSQL's index work, a fraction of a millisecond — is what makes a lookup slow in the
 * tail. So the stage asks once per batch, rarely twice:
 *
 * 1. `findKeyedArticles`: the stored articles that carry a key of a newcomer near its time (`keySegments`: one
 *    index-only range scan per key and segment of the batch), with the keys each carries, its SimHash, and
 *    its text if it shares an anchor or a number pair (a text key);
 * 2. `articleTexts`, only if needed: the text of band-only matches within the copy distance (`couldMatch`) —
 *    most band-only matches are chance collisions of a 16-bit band, far in SimHash, whose text is never read.
 *
 * Each newcomer's lookup is then answered from memory, and the articles the run assigns are added as it goes,
 * so a later newcomer finds an earlier one of the same batch exactly as it would find a stored article.
 */
import type { Db } from '../db/client.ts';
import { articlesQ } from '../db/queries/index.ts';
import type { ArticleText, DedupCandidate, KeySegment, KeyedArticle } from '../db/queries/articles.ts';
import { DEFAULT_MAX_HAMMING } from './cluster.ts';
import type { Fingerprint } from './fingerprint.ts';
import { bandKeys, textKeys } from './keys.ts';
import { fromSigned64, hamming, toSigned64 } from './simhash.ts';

/** A newcomer as the lookup sees it: its fingerprint, its `dedupKeys`, its time. */
export interface Newcomer { fp: Fingerprint; keys: readonly number[]; at: Date }

interface Entry { id: number; at: number; clusterId: number; simhash: bigint }

/**
 * Whether an indexed article sharing `matched` keys with a newcomer could be its near-duplicate: one that
 * shares none of the newcomer's anchor or number-pair keys and is more than `maxHamming` bits away can meet no
 * rule of `isNearDuplicate` (rules 3 and 4 need a shared anchor or pair, rule 2 the distance).
 */
export function couldMatch(me: { simhash: bigint; textKeys: ReadonlySet<number> }, other: { simhash: bigint; matched: readonly number[] }, maxHamming = DEFAULT_MAX_HAMMING): boolean {
  return other.matched.some((k) => me.textKeys.has(k)) || hamming(me.simhash, other.simhash) <= maxHamming;
}

/** The in-memory side of a batch's lookup: the key postings of the batch's range, and the texts it needs. */
export class BatchLookup {
  private readonly byKey = new Map<number, Entry[]>();
  private readonly texts = new Map<number, ArticleText>();
  private readonly textKeysOf = new WeakMap<Fingerprint, ReadonlySet<number>>();
  /**
   * Stored articles found by the batch's keys, how many came with their text, and the texts loaded afterwards
   * — those of band-only matches within the copy distance (diagnostics, benchmarks).
   */
  readonly loaded = { stored: 0, withText: 0, texts: 0 };

  constructor(private readonly windowMs: number, private readonly maxHamming = DEFAULT_MAX_HAMMING) {}

  /** Indexes stored articles as `findKeyedArticles` returns them (each under the keys it was found by). */
  addStored(rows: readonly KeyedArticle[]): void {
    this.loaded.stored += rows.length;
    for (const r of rows) {
      if (r.text) {
        this.texts.set(r.id, r.text);
        this.loaded.withText++;
      }
      this.index({ id: r.id, at: r.effectiveAt.getTime(), clusterId: r.clusterId, simhash: fromSigned64(r.simhash) }, r.matched);
    }
  }

  /** Indexes an article the run has just assigned to `clusterId`, under its `keys`. */
  add(a: ArticleText & { effectiveAt: Date }, clusterId: number, fp: Fingerprint, keys: readonly number[]): void {
    this.texts.set(a.id, { id: a.id, title: a.title, content: a.content, summary: a.summary });
    this.index({ id: a.id, at: a.effectiveAt.getTime(), clusterId, simhash: fp.simhash }, keys);
  }

  /** The indexed articles whose text the decisions of `newcomers` will read and that are not loaded yet. */
  missingTexts(newcomers: readonly Newcomer[]): number[] {
    const ids = new Set<number>();
    for (const n of newcomers) for (const [e] of this.matches(n)) if (!this.texts.has(e.id)) ids.add(e.id);
    return [...ids];
  }

  /** Stores texts loaded for `missingTexts`. */
  setTexts(rows: readonly ArticleText[]): void {
    this.loaded.texts += rows.length;
    for (const r of rows) this.texts.set(r.id, r);
  }

  /**
   * A newcomer's candidates: the indexed articles within ± the window of its time that share a key with it and
   * `couldMatch`, oldest first (then by id), each with its text, its stored SimHash and the keys it shares.
   */
  candidates(n: Newcomer): DedupCandidate[] {
    const out: DedupCandidate[] = [];
    for (const [e, matched] of this.matches(n)) {
      const t = this.texts.get(e.id);
      if (!t) throw new Error(`dedup lookup: the text of article ${e.id} was not loaded (missingTexts was not asked for this newcomer)`);
      out.push({ ...t, effectiveAt: new Date(e.at), clusterId: e.clusterId, simhash: toSigned64(e.simhash), matched });
    }
    return out.sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime() || a.id - b.id);
  }

  private index(e: Entry, keys: readonly number[]): void {
    for (const k of keys) {
      const list = this.byKey.get(k);
      if (list) list.push(e);
      else this.byKey.set(k, [e]);
    }
  }

  private matches(n: Newcomer): [Entry, number[]][] {
    const at = n.at.getTime();
    const found = new Map<Entry, number[]>();
    for (const k of n.keys) {
      for (const e of this.byKey.get(k) ?? []) {
        if (Math.abs(e.at - at) > this.windowMs) continue;
        const keys = found.get(e);
        if (keys) keys.push(k);
        else found.set(e, [k]);
      }
    }
    let text = this.textKeysOf.get(n.fp);
    if (!text) this.textKeysOf.set(n.fp, text = new Set(textKeys(n.fp)));
    const me = { simhash: n.fp.simhash, textKeys: text };
    return [...found].filter(([e, matched]) => couldMatch(me, { simhash: e.simhash, matched }, this.maxHamming));
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
    if (!g || at - g.start > 2 * windowMs) out.push(g = { start: at, last: at, text: new Set(), band: new Set() });
    g.last = at;
    for (const k of textKeys(n.fp)) g.text.add(k);
    for (const k of bandKeys(n.fp)) g.band.add(k);
  }
  return out.map((g) => ({ textKeys: [...g.text], bandKeys: [...g.band], from: new Date(g.start - windowMs), to: new Date(g.last + windowMs) }));
}

/**
 * The lookup of a batch of newcomers: the stored articles near them in time that share a key with any of
 * them (`keySegments`) with the texts of those sharing a text key, then the texts of band-only matches within
 * the copy distance, if any — one or two queries, whatever the batch's size.
 */
export async function prefetchLookup(db: Db, newcomers: readonly Newcomer[], windowMs: number, maxHamming = DEFAULT_MAX_HAMMING): Promise<BatchLookup> {
  const lookup = new BatchLookup(windowMs, maxHamming);
  if (newcomers.length === 0) return lookup;
  lookup.addStored(await articlesQ.findKeyedArticles(db, keySegments(newcomers, windowMs)));
  lookup.setTexts(await articlesQ.articleTexts(db, lookup.missingTexts(newcomers)));
  return lookup;
}
