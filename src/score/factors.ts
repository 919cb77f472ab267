/**
 * The scoring model: six factors, each normalised to [0, 1] and multiplied by its weight, so a weight reads
 * as "points" and a story's score is the plain sum of its factors' points. Every contribution is kept
 * (`factors`) and stored per report item, so an operator can see why a story ranks where it does.
 */
import type { Extraction } from '../domain.ts';

/** One story as the scorer sees it. */
export interface ScoreInput {
  articleId: number;
  clusterId: number | null;
  /** Distinct sources carrying the story. */
  coverage: number;
  /** The source's ranking weight. @defaultValue 1 */
  sourceWeight: number;
  effectiveAt: Date;
  extraction: Extraction;
  title: string;
}

/** The operator's watch list (settings `watchlist`), matched against tickers, companies and text. */
export interface WatchList {
  tickers: string[];
  companies: string[];
  keywords: string[];
}

/** The factors, in the order they are shown. */
export const FACTORS = ['importance', 'coverage', 'source', 'recency', 'watchlist', 'sentiment'] as const;
export type Factor = (typeof FACTORS)[number];

/** Chinese names of the factors (the workbook, the web view). */
export const FACTOR_LABELS: Record<Factor, string> = {
  importance: '重要性',
  coverage: '媒体覆盖',
  source: '来源权重',
  recency: '时效',
  watchlist: '关注列表',
  sentiment: '情绪强度',
};

/**
 * Points each factor is worth at its maximum (settings `score_weights` override any of them).
 * @defaultValue importance 40, coverage 25, source 10, recency 10, watchlist 20, sentiment 5 (110 at most)
 */
export type ScoreWeights = Record<Factor, number>;

export const DEFAULT_WEIGHTS: Readonly<ScoreWeights> = Object.freeze({
  importance: 40,
  coverage: 25,
  source: 10,
  recency: 10,
  watchlist: 20,
  sentiment: 5,
});

/** Coverage saturates here: a story carried by this many distinct sources gets all the coverage points. */
export const COVERAGE_FULL = 6;
/** Source weight that earns all the source points (the default weight 1 earns half). */
export const SOURCE_WEIGHT_FULL = 2;
/** Watch-list matches that earn all the watch-list points (one match earns half). */
export const WATCH_HITS_FULL = 2;

/** A scored story: its total, each factor's points, and which watch-list entries it matched. */
export interface ScoredStory extends ScoreInput {
  score: number;
  factors: Record<Factor, number>;
  watchHits: string[];
}

/** What scoring needs besides the story. */
export interface ScoreContext {
  windowFrom: Date;
  windowTo: Date;
  /** @defaultValue DEFAULT_WEIGHTS */
  weights?: ScoreWeights;
  watch?: WatchList;
}

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const round = (x: number): number => Math.round(x * 100) / 100;

/** Each factor's normalised value in [0, 1], before weighting. */
export function factorValues(s: ScoreInput, ctx: ScoreContext, hits: number): Record<Factor, number> {
  const span = Math.max(1, ctx.windowTo.getTime() - ctx.windowFrom.getTime());
  const age = (ctx.windowTo.getTime() - s.effectiveAt.getTime()) / span;
  return {
    importance: clamp01((s.extraction.importance - 1) / 4),
    // Logarithmic: the second source says more than the sixth.
    coverage: clamp01(Math.log(Math.max(1, s.coverage)) / Math.log(COVERAGE_FULL)),
    source: clamp01(s.sourceWeight / SOURCE_WEIGHT_FULL),
    recency: clamp01(1 - age),
    watchlist: clamp01(hits / WATCH_HITS_FULL),
    sentiment: clamp01(Math.abs(s.extraction.sentiment_score)),
  };
}

/** Scores one story; every factor's points are kept for the report item (explainable ranking). */
export function scoreStory(s: ScoreInput, ctx: ScoreContext): ScoredStory {
  const w = ctx.weights ?? DEFAULT_WEIGHTS;
  const watchHits = watchMatches(s, ctx.watch);
  const values = factorValues(s, ctx, watchHits.length);
  const factors = Object.fromEntries(FACTORS.map((f) => [f, round(Math.max(0, w[f]) * values[f])])) as Record<
    Factor,
    number
  >;
  const score = round(FACTORS.reduce((sum, f) => sum + factors[f], 0));
  return { ...s, score, factors, watchHits };
}

/** An extracted ticker's comparable forms: `600519.SH` matches a watch entry `600519.SH` or `600519`. */
function tickerKeys(t: string): string[] {
  const upper = t.trim().toUpperCase();
  const code = upper.split('.')[0] ?? upper;
  return code && code !== upper ? [upper, code] : [upper];
}

/**
 * The watch-list entries a story matches: tickers against the extracted tickers (with or without the
 * exchange suffix), companies against the extracted names and the title, keywords against the title,
 * summary and extracted keywords (case-insensitive). Each entry counts once.
 */
export function watchMatches(s: Pick<ScoreInput, 'title' | 'extraction'>, watch: WatchList | undefined): string[] {
  if (!watch) return [];
  const e = s.extraction;
  const tickers = new Set(e.entities.companies.flatMap((c) => (c.ticker ? tickerKeys(c.ticker) : [])));
  const names = new Set(e.entities.companies.map((c) => c.name.trim()));
  const text = `${s.title}\n${e.summary}\n${e.keywords.join('\n')}`.toLowerCase();
  const hits = [
    ...watch.tickers.filter((t) => t.trim() && tickers.has(t.trim().toUpperCase())),
    ...watch.companies.filter((c) => c.trim() && (names.has(c.trim()) || s.title.includes(c.trim()))),
    ...watch.keywords.filter((k) => k.trim() && text.includes(k.trim().toLowerCase())),
  ];
  return [...new Set(hits.map((h) => h.trim()))];
}
