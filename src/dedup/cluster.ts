/**
 * The near-duplicate decision and an in-memory clusterer. SimHash alone finds copies (Hamming ≤ 3); an
 * outlet's rewrite of a story usually lands 5–25 bits away, as far as unrelated articles on the same topic.
 * What tells them apart in financial news is the figures: a rewrite repeats the story's numbers, two days'
 * reports from one template share the wording but not the numbers. So:
 *
 * 1. both texts carry ≥ 3 significant numbers and few of them agree → different stories (template veto);
 * 2. Hamming ≤ `maxHamming` → same story;
 * 3. the significant numbers of the shorter text are mostly (≥ `minNumberOverlap`) found in the other one,
 *    and the hashes are within `maxHammingShared2` (2 shared numbers) or `maxHammingShared3` (3 or more)
 *    → same story.
 *
 * An index deciding "exactly like this" needs the candidates of rules 2 and 3: SimHash bands find every
 * pair within 3 bits; pairs of rule 3 share at least two significant numbers (`dedupNumbers`).
 */
import { normalizeText, significantNumbers } from './features.ts';
import { hamming } from './simhash.ts';

export interface NearDuplicateOptions {
  /** @defaultValue 3 */
  maxHamming?: number;
  /** Share of the smaller number set found in the other text for rule 3. @defaultValue 0.7 */
  minNumberOverlap?: number;
  /** Rule 3 with exactly two shared numbers. @defaultValue 16 */
  maxHammingShared2?: number;
  /** Rule 3 with three or more shared numbers. @defaultValue 24 */
  maxHammingShared3?: number;
  /** Rule 1: below this overlap, number-rich texts are different stories. @defaultValue 0.3 */
  vetoNumberOverlap?: number;
}

/** What the decision reads of an article. */
export interface DedupDoc {
  simhash: bigint;
  title: string;
  text: string;
}

const DEFAULTS: Required<NearDuplicateOptions> = {
  maxHamming: 3, minNumberOverlap: 0.7, maxHammingShared2: 16, maxHammingShared3: 24, vetoNumberOverlap: 0.3,
};

const numberCache = new WeakMap<DedupDoc, Set<string>>();

/** The significant numbers of an article (title and text), as rule 3 compares them; store them for an index. */
export function dedupNumbers(title: string, text: string): Set<string> {
  return significantNumbers(normalizeText(`${title}\n${text}`));
}

function numbersOf(doc: DedupDoc): Set<string> {
  let n = numberCache.get(doc);
  if (!n) {
    n = dedupNumbers(doc.title, doc.text);
    numberCache.set(doc, n);
  }
  return n;
}

/**
 * Whether two articles tell the same story (see the module comment for the rules).
 *
 * @example isNearDuplicate({ simhash: a, title, text }, { simhash: b, title: t2, text: x2 })
 */
export function isNearDuplicate(a: DedupDoc, b: DedupDoc, opts: NearDuplicateOptions = {}): boolean {
  const o = { ...DEFAULTS, ...opts };
  const d = hamming(a.simhash, b.simhash);
  if (d > Math.max(o.maxHamming, o.maxHammingShared2, o.maxHammingShared3)) return false;
  const na = numbersOf(a);
  const nb = numbersOf(b);
  let shared = 0;
  for (const n of na) if (nb.has(n)) shared++;
  const smaller = Math.min(na.size, nb.size);
  const overlap = smaller === 0 ? 0 : shared / smaller;
  if (na.size >= 3 && nb.size >= 3 && overlap < o.vetoNumberOverlap) return false;
  if (d <= o.maxHamming) return true;
  if (overlap < o.minNumberOverlap) return false;
  if (shared >= 3) return d <= o.maxHammingShared3;
  return shared === 2 && d <= o.maxHammingShared2;
}

/** One article for the in-memory clusterer. */
export interface ClusterInput<Id> extends DedupDoc {
  id: Id;
  publishedAt: Date | null;
}

export interface ClusterOptions extends NearDuplicateOptions {
  /** Only articles published this close together can share a story. @defaultValue 72 h */
  windowMs?: number;
}

/** Near-duplicates are looked for within this window. @defaultValue 72 h */
export const DEFAULT_WINDOW_MS = 72 * 3_600_000;

/**
 * Greedy clustering in publication order: each article joins the story of its closest earlier
 * near-duplicate (smallest Hamming distance, then earliest) within the window, or starts a story of its
 * own. The story id is the id of its earliest article. Articles without a date come last and match any.
 *
 * @example clusterItems(items).get(item.id) // id of the story's first article
 */
export function clusterItems<Id>(items: readonly ClusterInput<Id>[], opts: ClusterOptions = {}): Map<Id, Id> {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const order = items
    .map((item, index) => ({ item, index, t: item.publishedAt?.getTime() ?? Number.POSITIVE_INFINITY }))
    .sort((x, y) => x.t - y.t || x.index - y.index);
  const cluster = new Map<Id, Id>();
  const seen: typeof order = [];
  for (const cur of order) {
    let best: { id: Id; distance: number } | null = null;
    for (const prev of seen) {
      if (Number.isFinite(cur.t) && Number.isFinite(prev.t) && cur.t - prev.t > windowMs) continue;
      if (!isNearDuplicate(cur.item, prev.item, opts)) continue;
      const distance = hamming(cur.item.simhash, prev.item.simhash);
      if (!best || distance < best.distance) best = { id: cluster.get(prev.item.id) ?? prev.item.id, distance };
    }
    cluster.set(cur.item.id, best ? best.id : cur.item.id);
    seen.push(cur);
  }
  return cluster;
}
