/**
 * The near-duplicate decision and an in-memory clusterer. SimHash alone finds copies (Hamming ≤ 3); a
 * repost with a trimmed ending, a rewritten headline or a few synonyms lands 5–25 bits away, as far as an
 * unrelated article on the same topic, and an outlet's rewrite of a story shares its figures but few of its
 * sentences. Two days' reports from one template share the wording but not the figures. So, on the story
 * text (`storyText`: reposting boilerplate removed):
 *
 * 1. vetoes — both texts carry ≥ 3 significant numbers and few of them agree; or the same phrase is
 *    followed by different numbers more often than by the same one (`contextAgreement`: "中间价报7.0856"
 *    vs "中间价报7.0912") → different stories;
 * 2. Hamming ≤ `maxHamming` → same story (copies);
 * 3. the texts share an anchor shingle and ≥ `minContainment` of the smaller one's shingles are in the
 *    other → same story (reposts: edited, trimmed, reordered);
 * 4. they share a pair of significant numbers, the shorter one's numbers are mostly (≥ `minNumberOverlap`)
 *    in the other, and the hashes are within `maxHammingShared2` (2 shared numbers) or `maxHammingShared3`
 *    (3 or more) → same story (rewrites).
 *
 * Every positive rule implies a shared index key (a SimHash band, an anchor, a number pair: see `keys.ts`),
 * so the DB stage, which only looks at indexed candidates, decides exactly like `clusterItems`.
 */
import { containment, contextAgreement, fingerprint, intersectionSize } from './fingerprint.ts';
import type { Fingerprint } from './fingerprint.ts';
import { significantNumbers } from './features.ts';
import { CompactDoc, compactOf, sameNumber, sharedNumbers } from './feature-batch.ts';
import { PostingIndex } from './postings.ts';
import type { CandidateStats } from './postings.ts';
import { hamming, hashedText, popcount32 } from './simhash.ts';

export interface NearDuplicateOptions {
  /** @defaultValue 3 */
  maxHamming?: number;
  /** Rule 3: share of the smaller text's shingles found in the other. @defaultValue 0.5 */
  minContainment?: number;
  /** Rule 3 needs at least this many shingles in the smaller text. @defaultValue 10 */
  minShingles?: number;
  /** Share of the smaller number set found in the other text for rule 4. @defaultValue 0.7 */
  minNumberOverlap?: number;
  /** Rule 4 with exactly two shared numbers. @defaultValue 16 */
  maxHammingShared2?: number;
  /** Rule 4 with three or more shared numbers. @defaultValue 24 */
  maxHammingShared3?: number;
  /** Rule 1: below this overlap, number-rich texts are different stories. @defaultValue 0.3 */
  vetoNumberOverlap?: number;
  /** Rule 1: the template veto on numbers written in the same context (off only to measure what it does). @defaultValue true */
  contextVeto?: boolean;
}

/** What the decision reads of an article. */
export interface DedupDoc {
  simhash: bigint;
  title: string;
  text: string;
}

/** Rule 2's distance (`maxHamming`) unless options say otherwise. */
export const DEFAULT_MAX_HAMMING = 3;

const DEFAULTS: Required<NearDuplicateOptions> = {
  maxHamming: DEFAULT_MAX_HAMMING,
  minContainment: 0.5,
  minShingles: 10,
  minNumberOverlap: 0.7,
  maxHammingShared2: 16,
  maxHammingShared3: 24,
  vetoNumberOverlap: 0.3,
  contextVeto: true,
};

let lastOpts: NearDuplicateOptions | null = null;
let lastResolved: Required<NearDuplicateOptions> = DEFAULTS;

/** The options with their defaults, merged once per options object (the clusterer passes one for every pair). */
function resolved(opts: NearDuplicateOptions): Required<NearDuplicateOptions> {
  if (opts !== lastOpts) {
    lastResolved = { ...DEFAULTS, ...opts };
    lastOpts = opts;
  }
  return lastResolved;
}

const fingerprintCache = new WeakMap<DedupDoc, Fingerprint>();

/** The significant numbers of an article (title and story text), as rule 4 compares them. */
export function dedupNumbers(title: string, text: string): Set<string> {
  return significantNumbers(hashedText(title, text));
}

/** The fingerprint of a document, computed once per object. */
export function fingerprintOf(doc: DedupDoc): Fingerprint {
  let f = fingerprintCache.get(doc);
  if (!f) {
    f = fingerprint(doc.title, doc.text);
    fingerprintCache.set(doc, f);
  }
  return f;
}

/**
 * A document for the decision, with its SimHash from its own text; pass a fingerprint computed earlier to
 * save computing it again.
 *
 * @example isNearDuplicate(dedupDoc(a.title, a.text), dedupDoc(b.title, b.text))
 */
export function dedupDoc(title: string, text: string, fp: Fingerprint = fingerprint(title, text)): DedupDoc {
  const doc = { simhash: fp.simhash, title, text };
  fingerprintCache.set(doc, fp);
  return doc;
}

/** Why two documents are (or are not) the same story: the rule that decided, for logs and tests. */
export type Verdict = 'veto-numbers' | 'veto-contexts' | 'hash' | 'containment' | 'numbers' | 'different';

/**
 * The rule that decides whether two articles tell the same story (see the module comment).
 *
 * @example explainNearDuplicate(a, b) // 'containment'
 */
export function explainNearDuplicate(a: DedupDoc, b: DedupDoc, opts: NearDuplicateOptions = {}): Verdict {
  const o = resolved(opts);
  const fa = fingerprintOf(a);
  const fb = fingerprintOf(b);
  let shared = 0;
  for (const n of fa.numbers) if (fb.numbers.has(n)) shared++;
  const overlap = numberOverlap(shared, fa.numbers.size, fb.numbers.size);
  if (numbersVeto(o, fa.numbers.size, fb.numbers.size, overlap)) return 'veto-numbers';
  if (o.contextVeto) {
    const { agree, conflict } = contextAgreement(fa, fb);
    if (contextsVeto(agree, conflict)) return 'veto-contexts';
  }
  const d = hamming(a.simhash, b.simhash);
  if (d <= o.maxHamming) return 'hash';
  if (
    Math.min(fa.shingles.length, fb.shingles.length) >= o.minShingles &&
    intersectionSize(fa.anchors, fb.anchors) > 0 &&
    containment(fa, fb) >= o.minContainment
  )
    return 'containment';
  if (numbersCloseEnough(o, overlap, shared, d) && intersectionSize(fa.numberPairs, fb.numberPairs) > 0)
    return 'numbers';
  return 'different';
}

// The rules' conditions, shared by the two readings of a pair: `explainNearDuplicate` (fingerprints, numbers as
// strings) and `explainCompact` (`CompactDoc`, numbers as codes). A test holds the two to the same verdicts.

/** Share of the smaller number set found in the other (0 when either has none). */
function numberOverlap(shared: number, sizeA: number, sizeB: number): number {
  const smaller = Math.min(sizeA, sizeB);
  return smaller === 0 ? 0 : shared / smaller;
}

/** Rule 1, numbers: both texts number-rich and few of their numbers agree. */
function numbersVeto(o: Required<NearDuplicateOptions>, sizeA: number, sizeB: number, overlap: number): boolean {
  return sizeA >= 3 && sizeB >= 3 && overlap < o.vetoNumberOverlap;
}

/** Rule 1, contexts: the same phrase followed by different numbers more often than by the same one. */
function contextsVeto(agree: number, conflict: number): boolean {
  return conflict > 0 && conflict > agree;
}

/** Rule 4 but the shared number pair: numbers mostly shared and hashes close enough for how many. */
function numbersCloseEnough(o: Required<NearDuplicateOptions>, overlap: number, shared: number, d: number): boolean {
  return (
    overlap >= o.minNumberOverlap && (shared >= 3 ? d <= o.maxHammingShared3 : shared === 2 && d <= o.maxHammingShared2)
  );
}

/**
 * Whether two articles tell the same story.
 *
 * @example isNearDuplicate({ simhash: a, title, text }, { simhash: b, title: t2, text: x2 })
 */
export function isNearDuplicate(a: DedupDoc, b: DedupDoc, opts: NearDuplicateOptions = {}): boolean {
  const verdict = explainNearDuplicate(a, b, opts);
  return verdict === 'hash' || verdict === 'containment' || verdict === 'numbers';
}

/**
 * Whether ascending `a` and `b` share at least `need` values: `intersectionSize(a, b) >= need`, stopping as
 * soon as the answer is known.
 */
function sharesAtLeast(a: Uint32Array, b: Uint32Array, need: number): boolean {
  if (need <= 0) return true;
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    if (n + Math.min(a.length - i, b.length - j) < need) return false;
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) i++;
    else if (x > y) j++;
    else {
      if (++n >= need) return true;
      i++;
      j++;
    }
  }
  return false;
}

/** The smallest count n of shared shingles with n / smaller ≥ share (`containment`'s comparison). */
function minShared(smaller: number, share: number): number {
  if (smaller === 0) return share <= 0 ? 0 : Number.POSITIVE_INFINITY; // containment is 0 then
  if (share > 1) return Number.POSITIVE_INFINITY;
  let n = Math.max(0, Math.ceil(share * smaller) - 1);
  while (n / smaller < share) n++;
  return n;
}

const distanceOf = (a: CompactDoc<unknown>, b: CompactDoc<unknown>) =>
  popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);

/** `contextAgreement` of two compact documents: whether `contextsVeto` holds. */
function compactContextsVeto(a: CompactDoc<unknown>, b: CompactDoc<unknown>): boolean {
  const ka = a.ctxKeys;
  const kb = b.ctxKeys;
  const va = a.ctxValues;
  const vb = b.ctxValues;
  let i = 0;
  let j = 0;
  let agree = 0;
  let conflict = 0;
  while (i < ka.length && j < kb.length) {
    const x = ka[i]!;
    const y = kb[j]!;
    if (x < y) i++;
    else if (x > y) j++;
    else {
      let ie = i + 1;
      while (ie < ka.length && ka[ie] === x) ie++;
      let je = j + 1;
      while (je < kb.length && kb[je] === x) je++;
      let shared = false;
      for (let p = i; p < ie && !shared; p++)
        for (let q = j; q < je; q++)
          if (sameNumber(a, va[p]!, b, vb[q]!)) {
            shared = true;
            break;
          }
      if (shared) agree++;
      else conflict++;
      i = ie;
      j = je;
    }
  }
  return contextsVeto(agree, conflict);
}

/**
 * `explainNearDuplicate` for two compact documents (`compactOf`, or a worker's `FeatureBatch`): the same rules
 * in the same order, on flat arrays and number codes.
 */
export function explainCompact(
  a: CompactDoc<unknown>,
  b: CompactDoc<unknown>,
  opts: NearDuplicateOptions = {},
): Verdict {
  const o = resolved(opts);
  const shared = sharedNumbers(a, b);
  const overlap = numberOverlap(shared, a.numbers.length, b.numbers.length);
  if (numbersVeto(o, a.numbers.length, b.numbers.length, overlap)) return 'veto-numbers';
  if (o.contextVeto && compactContextsVeto(a, b)) return 'veto-contexts';
  const d = distanceOf(a, b);
  if (d <= o.maxHamming) return 'hash';
  const smaller = Math.min(a.shingles.length, b.shingles.length);
  if (
    smaller >= o.minShingles &&
    intersectionSize(a.anchors, b.anchors) > 0 &&
    sharesAtLeast(a.shingles, b.shingles, minShared(smaller, o.minContainment))
  )
    return 'containment';
  if (numbersCloseEnough(o, overlap, shared, d) && intersectionSize(a.pairs, b.pairs) > 0) return 'numbers';
  return 'different';
}

/** One article for the in-memory clusterer. */
export interface ClusterInput<Id> extends DedupDoc {
  id: Id;
  publishedAt: Date | null;
}

export interface ClusterOptions extends NearDuplicateOptions {
  /** Only articles published this close together can share a story. @defaultValue 72 h */
  windowMs?: number;
  /** Filled with the candidate work done (`PostingIndex`): for tests and benchmarks. */
  stats?: CandidateStats;
}

/** Near-duplicates are looked for within this window. @defaultValue 72 h */
export const DEFAULT_WINDOW_MS = 72 * 3_600_000;

/**
 * The greedy clusterer, one document at a time in publication order (then input order; undated last): each
 * joins the story of its closest earlier near-duplicate (smallest Hamming distance, then earliest) within the
 * window, or starts a story of its own, whose id is its own. Candidates come from an in-memory index on the keys
 * the database indexes (`dedupKeys`: bands, anchors, number pairs), read with the DB stage's bounds
 * (`PostingIndex`: frequent keys sampled, at most `MAX_VERIFIED` verified), so this scales like the DB stage and
 * decides like it.
 */
export class StoryClusterer<Id> {
  /** Story id of each document added, by id. */
  readonly clusters = new Map<Id, Id>();
  private readonly index: PostingIndex<CompactDoc<Id>>;
  private seq = 0;

  constructor(private readonly opts: ClusterOptions = {}) {
    this.index = new PostingIndex<CompactDoc<Id>>(opts.windowMs ?? DEFAULT_WINDOW_MS, opts.maxHamming);
  }

  /** Assigns `doc` (later in the order than every document added before) its story, and indexes it. */
  add(doc: CompactDoc<Id>): Id {
    const keys = Array.from(doc.keys);
    const textKeys = new Set(doc.textKeys);
    let best: CompactDoc<Id> | null = null;
    let bestDistance = 0;
    for (const { entry: prev } of this.index.candidates(
      { keys, textKeys, simhash: doc.simhash, at: doc.at },
      this.opts.stats,
    )) {
      const verdict = explainCompact(doc, prev, this.opts);
      if (verdict !== 'hash' && verdict !== 'containment' && verdict !== 'numbers') continue;
      const distance = distanceOf(doc, prev);
      if (!best || distance < bestDistance) {
        best = prev;
        bestDistance = distance;
      }
    }
    const story = best ? (this.clusters.get(best.id) ?? best.id) : doc.id;
    this.clusters.set(doc.id, story);
    doc.seq = this.seq++;
    this.index.add(doc, keys, true);
    return story;
  }
}

/**
 * The documents in the clusterer's order: publication time, then input order; undated (`Infinity`) last.
 */
export function clusterOrder<D extends { at: number }>(docs: readonly D[]): D[] {
  return docs
    .map((d, index) => ({ d, index }))
    .sort((x, y) => x.d.at - y.d.at || x.index - y.index)
    .map((x) => x.d);
}

/**
 * Greedy clustering in publication order (`StoryClusterer`): each article joins the story of its closest
 * earlier near-duplicate within the window, or starts a story of its own. The story id is the id of its
 * earliest article. Articles without a date come last and match any.
 *
 * @example clusterItems(items).get(item.id) // id of the story's first article
 */
export function clusterItems<Id>(items: readonly ClusterInput<Id>[], opts: ClusterOptions = {}): Map<Id, Id> {
  const docs = items.map((item) =>
    compactOf(fingerprintOf(item), item.id, item.publishedAt?.getTime() ?? Number.POSITIVE_INFINITY, item.simhash),
  );
  const clusterer = new StoryClusterer<Id>(opts);
  for (const d of clusterOrder(docs)) clusterer.add(d);
  return clusterer.clusters;
}
