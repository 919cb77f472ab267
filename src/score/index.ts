import type { Category, Extraction } from '../domain.ts';
import { CATEGORIES } from '../domain.ts';

/** One story as the scorer sees it. */
export interface ScoreInput {
  articleId: number;
  clusterId: number | null;
  /** Distinct sources carrying the story. */
  coverage: number;
  sourceWeight: number;
  effectiveAt: Date;
  extraction: Extraction;
  title: string;
}

/** The operator's watch list (settings), matched against tickers, companies and the title/keywords. */
export interface WatchList { tickers: string[]; companies: string[]; keywords: string[] }

/**
 * Factor weights; each factor is normalised to [0, 1] before weighting, so a weight reads as "points".
 * @defaultValue importance 40, coverage 25, source 10, recency 10, watchlist 20, sentiment 5
 */
export interface ScoreWeights { importance: number; coverage: number; source: number; recency: number; watchlist: number; sentiment: number }

export const DEFAULT_WEIGHTS: ScoreWeights = { importance: 40, coverage: 25, source: 10, recency: 10, watchlist: 20, sentiment: 5 };

export interface ScoredStory extends ScoreInput { score: number; factors: Record<string, number> }

/** A ranked edition: the top list and per-section lists; a story appears in at most one of them. */
export interface Ranking {
  top: ScoredStory[];
  sections: Map<Category, ScoredStory[]>;
  all: ScoredStory[];
}

/** Scores one story; every factor's contribution is kept for the report item (explainable ranking). */
export function scoreStory(s: ScoreInput, ctx: { windowFrom: Date; windowTo: Date; weights?: ScoreWeights; watch?: WatchList }): ScoredStory {
  const w = ctx.weights ?? DEFAULT_WEIGHTS;
  const span = Math.max(1, ctx.windowTo.getTime() - ctx.windowFrom.getTime());
  const age = Math.min(1, Math.max(0, (ctx.windowTo.getTime() - s.effectiveAt.getTime()) / span));
  const factors = {
    importance: round(w.importance * (s.extraction.importance - 1) / 4),
    coverage: round(w.coverage * Math.min(1, (s.coverage - 1) / 4)),
    source: round(w.source * Math.min(1, Math.max(0, s.sourceWeight / 2))),
    recency: round(w.recency * (1 - age)),
    watchlist: round(w.watchlist * Math.min(1, watchMatches(s, ctx.watch) / 2)),
    sentiment: round(w.sentiment * Math.abs(s.extraction.sentiment_score)),
  };
  const score = round(Object.values(factors).reduce((a, b) => a + b, 0));
  return { ...s, score, factors };
}

function watchMatches(s: ScoreInput, watch: WatchList | undefined): number {
  if (!watch) return 0;
  const e = s.extraction;
  const tickers = new Set(e.entities.companies.map((c) => c.ticker).filter(Boolean));
  const names = new Set(e.entities.companies.map((c) => c.name));
  const text = `${s.title} ${e.keywords.join(' ')}`;
  return watch.tickers.filter((t) => tickers.has(t)).length
    + watch.companies.filter((c) => names.has(c) || s.title.includes(c)).length
    + watch.keywords.filter((k) => text.includes(k)).length;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Deterministic order: score, then newer, then lower article id. */
export function compareScored(a: ScoredStory, b: ScoredStory): number {
  return b.score - a.score || b.effectiveAt.getTime() - a.effectiveAt.getTime() || a.articleId - b.articleId;
}

/**
 * Ranks stories: the `topN` best form 今日要闻, then each category gets its `topN` best of the rest.
 * One story (cluster) never takes two slots.
 */
export function rankStories(stories: ScoreInput[], ctx: { windowFrom: Date; windowTo: Date; topN: number; weights?: ScoreWeights; watch?: WatchList }): Ranking {
  const seen = new Set<number>();
  const scored = stories.map((s) => scoreStory(s, ctx)).sort(compareScored).filter((s) => {
    const key = s.clusterId ?? -s.articleId;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const top = scored.slice(0, ctx.topN);
  const rest = scored.slice(ctx.topN);
  const sections = new Map<Category, ScoredStory[]>();
  for (const c of CATEGORIES) {
    const items = rest.filter((s) => s.extraction.category === c).slice(0, ctx.topN);
    if (items.length > 0) sections.set(c, items);
  }
  return { top, sections, all: scored };
}
