/**
 * The candidates of a newcomer, read from key postings with bounded work. On ordinary news a key (a band, an
 * anchor sentence, a pair of figures) is carried by a handful of articles in a window; on templated news
 * (hundreds of reports a day from the same sentences) the template's sentences and bands are carried by every
 * report, and reading every posting made each newcomer a candidate of every other — work per document growing
 * with the pile. So, per key of a newcomer, within its window:
 *
 * - a **rare** key (at most `RARE_KEY_POSTINGS` postings) gives all its postings — the case of every key on
 *   ordinary news, where nothing changes;
 * - a **frequent** key gives only its `FREQUENT_KEY_SAMPLE` postings nearest in time: a story reposted by
 *   dozens of outlets is still found through its latest copies, and a template's shared sentences no longer
 *   list the whole template;
 *
 * then candidates that could meet no rule (`couldMatch`) are dropped, the rest are ranked by the rare keys they
 * share (a repost of a templated report shares its own figures and sentences, which are rare; another report of
 * the template shares only frequent ones), then by all keys shared, then by SimHash distance, and at most
 * `MAX_VERIFIED` are verified. The in-memory clusterer and the DB stage both read candidates through this
 * class, so they decide alike.
 */
import { DEFAULT_MAX_HAMMING } from './cluster.ts';
import { hamming, popcount32 } from './simhash.ts';

/** A key shared by at most this many articles of a newcomer's window is read in full. @defaultValue 32 */
export const RARE_KEY_POSTINGS = 32;
/** Postings read of a frequent key: those nearest in time to the newcomer. @defaultValue 8 */
export const FREQUENT_KEY_SAMPLE = 8;
/** Candidates verified per newcomer at most, best ranked first. @defaultValue 64 */
export const MAX_VERIFIED = 64;

/**
 * An indexed article: its time (ms; `Infinity` when undated), a tie-breaker that grows with arrival, its SimHash.
 * `add` fills `hi` and `lo` (the SimHash's 32-bit halves) so that distances need no BigInt arithmetic.
 */
export interface Posting {
  at: number;
  seq: number;
  simhash: bigint;
  hi?: number;
  lo?: number;
}

/** What a lookup knows of the newcomer. */
export interface Probe {
  keys: readonly number[];
  textKeys: ReadonlySet<number>;
  simhash: bigint;
  at: number;
}

/** A candidate and the newcomer's keys it shares. */
export interface Candidate<E extends Posting> {
  entry: E;
  matched: number[];
}

/** Counters of the candidate work, for tests and benchmarks: bounded per newcomer whatever the pile. */
export interface CandidateStats {
  newcomers: number;
  verified: number;
  maxVerified: number;
  postingsRead: number;
}

/** Fresh counters. */
export const candidateStats = (): CandidateStats => ({ newcomers: 0, verified: 0, maxVerified: 0, postingsRead: 0 });

/** Adds the counters of `part` to `total`. */
export function addCandidateStats(total: CandidateStats, part: CandidateStats): void {
  total.newcomers += part.newcomers;
  total.verified += part.verified;
  total.postingsRead += part.postingsRead;
  total.maxVerified = Math.max(total.maxVerified, part.maxVerified);
}

/**
 * Whether an indexed article sharing `matched` keys with a newcomer could be its near-duplicate: one that
 * shares none of the newcomer's anchor or number-pair keys and is more than `maxHamming` bits away can meet no
 * rule of `isNearDuplicate` (rules 3 and 4 need a shared anchor or pair, rule 2 the distance).
 */
export function couldMatch(
  me: { simhash: bigint; textKeys: ReadonlySet<number> },
  other: { simhash: bigint; matched: readonly number[] },
  maxHamming = DEFAULT_MAX_HAMMING,
): boolean {
  return other.matched.some((k) => me.textKeys.has(k)) || hamming(me.simhash, other.simhash) <= maxHamming;
}

const before = (a: Posting, b: Posting) => a.at - b.at || a.seq - b.seq;

/** First index of `list` (sorted by time) whose time is ≥ `t` (> `t` when `after`). */
function bound(list: readonly Posting[], t: number, after: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.at < t || (after && list[mid]!.at === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Key → postings sorted by (time, seq), with the bounded candidate read described in the module comment. */
export class PostingIndex<E extends Posting> {
  private readonly byKey = new Map<number, E[]>();
  private readonly entryKeys = new WeakMap<E, Set<number>>();
  private readonly frequent = new Set<number>();
  private changes = 0;

  /** Grows with every change of the index: candidates read at one version stay valid until it moves. */
  get version(): number {
    return this.changes;
  }

  constructor(
    private readonly windowMs: number,
    private readonly maxHamming = DEFAULT_MAX_HAMMING,
  ) {}

  /**
   * Indexes `entry` under `keys` (an entry indexed twice under one key is kept once). `fresh`: the caller
   * guarantees that `entry` was never added and `keys` are distinct (the in-memory clusterer), so no record of
   * its keys is kept — a WeakMap entry and a Set per article were a fifth of `finrep dedup`'s indexing time.
   */
  add(entry: E, keys: readonly number[], fresh = false): void {
    this.changes++;
    if (entry.hi === undefined) {
      entry.hi = Number(BigInt.asUintN(64, entry.simhash) >> 32n);
      entry.lo = Number(BigInt.asUintN(32, entry.simhash));
    }
    let known: Set<number> | undefined;
    if (!fresh) {
      known = this.entryKeys.get(entry);
      if (!known) this.entryKeys.set(entry, (known = new Set()));
    }
    for (const k of keys) {
      if (known) {
        if (known.has(k)) continue;
        known.add(k);
      }
      const list = this.byKey.get(k);
      if (!list) this.byKey.set(k, [entry]);
      else if (before(list[list.length - 1]!, entry) <= 0) list.push(entry);
      else list.splice(bound(list, entry.at, true), 0, entry);
    }
  }

  /**
   * Treats `key` as frequent whatever its postings here: the database sent only a sample of its postings
   * (`findKeyedArticles`), the nearest, because it has more than `RARE_KEY_POSTINGS` near the batch.
   */
  markFrequent(key: number): void {
    this.changes++;
    this.frequent.add(key);
  }

  /** The postings of `key` read for a newcomer at `at`: all in its window when the key is rare there, else the nearest few. */
  private read(key: number, at: number): { postings: readonly E[]; rare: boolean } {
    const list = this.byKey.get(key);
    if (!list) return { postings: [], rare: true };
    const lo = Number.isFinite(at) ? bound(list, at - this.windowMs, false) : 0;
    const hi = Number.isFinite(at) ? bound(list, at + this.windowMs, true) : list.length;
    if (hi - lo <= RARE_KEY_POSTINGS && !this.frequent.has(key)) return { postings: list.slice(lo, hi), rare: true };
    const out: E[] = [];
    let i = Number.isFinite(at) ? bound(list, at, true) - 1 : hi - 1;
    let j = i + 1;
    while (out.length < FREQUENT_KEY_SAMPLE && (i >= lo || j < hi)) {
      if (j >= hi || (i >= lo && at - list[i]!.at <= list[j]!.at - at)) out.push(list[i--]!);
      else out.push(list[j++]!);
    }
    return { postings: out, rare: false };
  }

  /**
   * The newcomer's candidates to verify: at most `MAX_VERIFIED` of those that `couldMatch`, best ranked (see the
   * module comment), returned oldest first (then by seq) — the order in which ties are decided.
   */
  candidates(p: Probe, stats?: CandidateStats): Candidate<E>[] {
    const found = new Map<E, { matched: number[]; rare: number }>();
    for (const k of p.keys) {
      const { postings, rare: isRare } = this.read(k, p.at);
      const rare = isRare ? 1 : 0;
      if (stats) stats.postingsRead += postings.length;
      for (const e of postings) {
        const f = found.get(e);
        if (f) {
          f.matched.push(k);
          f.rare += rare;
        } else found.set(e, { matched: [k], rare });
      }
    }
    // couldMatch, with the distance from the halves `add` stored.
    const hi = Number(BigInt.asUintN(64, p.simhash) >> 32n);
    const lo = Number(BigInt.asUintN(32, p.simhash));
    const distance = (e: E) => popcount32((hi ^ e.hi!) >>> 0) + popcount32((lo ^ e.lo!) >>> 0);
    let list = [...found].filter(
      ([e, f]) => f.matched.some((k) => p.textKeys.has(k)) || distance(e) <= this.maxHamming,
    );
    if (list.length > MAX_VERIFIED) {
      const d = new Map(list.map(([e]) => [e, distance(e)]));
      list = list
        .sort(
          ([a, fa], [b, fb]) =>
            fb.rare - fa.rare ||
            fb.matched.length - fa.matched.length ||
            d.get(a)! - d.get(b)! ||
            Math.abs(p.at - a.at) - Math.abs(p.at - b.at) ||
            b.seq - a.seq,
        )
        .slice(0, MAX_VERIFIED);
    }
    if (stats) {
      stats.newcomers++;
      stats.verified += list.length;
      stats.maxVerified = Math.max(stats.maxVerified, list.length);
    }
    return list.sort(([a], [b]) => before(a, b)).map(([entry, f]) => ({ entry, matched: f.matched }));
  }
}
