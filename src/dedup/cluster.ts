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
import { dedupKeys, textKeys } from './keys.ts';
import { PostingIndex } from './postings.ts';
import type { CandidateStats, Posting } from './postings.ts';
import { hamming, hashedText } from './simhash.ts';

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
  const smaller = Math.min(fa.numbers.size, fb.numbers.size);
  const overlap = smaller === 0 ? 0 : shared / smaller;
  if (fa.numbers.size >= 3 && fb.numbers.size >= 3 && overlap < o.vetoNumberOverlap) return 'veto-numbers';
  if (o.contextVeto) {
    const { agree, conflict } = contextAgreement(fa, fb);
    if (conflict > 0 && conflict > agree) return 'veto-contexts';
  }
  const d = hamming(a.simhash, b.simhash);
  if (d <= o.maxHamming) return 'hash';
  if (
    Math.min(fa.shingles.length, fb.shingles.length) >= o.minShingles &&
    intersectionSize(fa.anchors, fb.anchors) > 0 &&
    containment(fa, fb) >= o.minContainment
  )
    return 'containment';
  if (
    overlap >= o.minNumberOverlap &&
    intersectionSize(fa.numberPairs, fb.numberPairs) > 0 &&
    (shared >= 3 ? d <= o.maxHammingShared3 : shared === 2 && d <= o.maxHammingShared2)
  )
    return 'numbers';
  return 'different';
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
 * Greedy clustering in publication order: each article joins the story of its closest earlier
 * near-duplicate (smallest Hamming distance, then earliest) within the window, or starts a story of its
 * own. The story id is the id of its earliest article. Articles without a date come last and match any.
 * Candidates come from an in-memory index on the keys the database indexes (`dedupKeys`: bands, anchors,
 * number pairs), read with the DB stage's bounds (`PostingIndex`: frequent keys sampled, at most
 * `MAX_VERIFIED` verified), so this scales like the DB stage and decides like it.
 *
 * @example clusterItems(items).get(item.id) // id of the story's first article
 */
export function clusterItems<Id>(items: readonly ClusterInput<Id>[], opts: ClusterOptions = {}): Map<Id, Id> {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const order = items
    .map((item, index) => ({ item, index, t: item.publishedAt?.getTime() ?? Number.POSITIVE_INFINITY }))
    .sort((x, y) => x.t - y.t || x.index - y.index);
  const cluster = new Map<Id, Id>();
  const index = new PostingIndex<Posting & { item: ClusterInput<Id> }>(windowMs, opts.maxHamming);
  for (let pos = 0; pos < order.length; pos++) {
    const cur = order[pos]!;
    const fp = fingerprintOf(cur.item);
    const keys = dedupKeys(fp);
    let best: { id: Id; distance: number } | null = null;
    const probe = { keys, textKeys: new Set(textKeys(fp)), simhash: cur.item.simhash, at: cur.t };
    for (const {
      entry: { item: prev },
    } of index.candidates(probe, opts.stats)) {
      if (!isNearDuplicate(cur.item, prev, opts)) continue;
      const distance = hamming(cur.item.simhash, prev.simhash);
      if (!best || distance < best.distance) best = { id: cluster.get(prev.id) ?? prev.id, distance };
    }
    cluster.set(cur.item.id, best ? best.id : cur.item.id);
    index.add({ at: cur.t, seq: pos, simhash: cur.item.simhash, item: cur.item }, keys, true);
  }
  return cluster;
}
