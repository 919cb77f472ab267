/**
 * Ranking with diversity: one slot per story, a top list (今日要闻) that no single section or company can
 * fill, and per-section lists of the rest. The order is total (ties broken by fixed rules), so the same
 * input always gives the same report.
 */
import type { Category } from '../domain.ts';
import { CATEGORIES } from '../domain.ts';
import { scoreStory } from './factors.ts';
import type { ScoreContext, ScoreInput, ScoredStory } from './factors.ts';

/** How many stories go where. */
export interface RankCaps {
  /** `REPORT_TOPN`: the size of 今日要闻 and the default length of each section. */
  topN: number;
  /** Per-section lengths overriding `topN` (0 hides a section). */
  sectionCaps?: Partial<Record<Category, number>>;
  /**
   * At most this many stories of one category in 今日要闻; gives way only when other categories have too
   * few stories to fill the list. 0 = no cap. @defaultValue 0
   */
  topPerSection?: number;
  /** At most this many stories about one company (ticker or name) in 今日要闻; strict. 0 = no cap. @defaultValue 0 */
  topPerCompany?: number;
}

export type RankOptions = ScoreContext & RankCaps;

/** A ranked edition: the top list and per-section lists; a story appears in at most one of them. */
export interface Ranking {
  top: ScoredStory[];
  sections: Map<Category, ScoredStory[]>;
  /** Every distinct story, best first (the report's statistics and the workbook). */
  all: ScoredStory[];
  /** Stories dropped as a second copy of a story already ranked (same cluster or same title). */
  duplicates: number;
}

/**
 * Total order: score, then importance, then coverage, then newer, then lower article id. Scores are
 * rounded to 0.01, so equal scores are common and the later keys matter.
 */
export function compareScored(a: ScoredStory, b: ScoredStory): number {
  return (
    b.score - a.score ||
    b.extraction.importance - a.extraction.importance ||
    b.coverage - a.coverage ||
    b.effectiveAt.getTime() - a.effectiveAt.getTime() ||
    a.articleId - b.articleId
  );
}

/** A title reduced to its letters and digits: two stories with the same key are one story. */
export function titleKey(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** The companies a story is about, as comparable keys (ticker code when known, else the name). */
export function companyKeys(s: ScoreInput): string[] {
  const keys = s.extraction.entities.companies.map((c) => {
    const ticker = c.ticker?.trim().toUpperCase().split('.')[0];
    return ticker ? `t:${ticker}` : `n:${c.name.trim()}`;
  });
  return [...new Set(keys.filter((k) => k.length > 2))];
}

/** Best-first, one entry per story (cluster) and per title. */
function distinct(scored: ScoredStory[]): { stories: ScoredStory[]; duplicates: number } {
  const clusters = new Set<number>();
  const titles = new Set<string>();
  const stories: ScoredStory[] = [];
  for (const s of scored) {
    const title = titleKey(s.title);
    if ((s.clusterId !== null && clusters.has(s.clusterId)) || (title && titles.has(title))) continue;
    if (s.clusterId !== null) clusters.add(s.clusterId);
    if (title) titles.add(title);
    stories.push(s);
  }
  return { stories, duplicates: scored.length - stories.length };
}

/** Picks 今日要闻 greedily by rank under the caps, then fills what the section cap held back. */
function pickTop(stories: ScoredStory[], caps: RankCaps): ScoredStory[] {
  const perSection = caps.topPerSection ?? 0;
  const perCompany = caps.topPerCompany ?? 0;
  const top: ScoredStory[] = [];
  const heldBack: ScoredStory[] = [];
  const bySection = new Map<Category, number>();
  const byCompany = new Map<string, number>();
  const companyOk = (s: ScoredStory) =>
    perCompany <= 0 || companyKeys(s).every((k) => (byCompany.get(k) ?? 0) < perCompany);
  const take = (s: ScoredStory) => {
    top.push(s);
    bySection.set(s.extraction.category, (bySection.get(s.extraction.category) ?? 0) + 1);
    for (const k of companyKeys(s)) byCompany.set(k, (byCompany.get(k) ?? 0) + 1);
  };
  for (const s of stories) {
    if (top.length >= caps.topN) break;
    if (!companyOk(s)) continue;
    if (perSection > 0 && (bySection.get(s.extraction.category) ?? 0) >= perSection) {
      heldBack.push(s);
      continue;
    }
    take(s);
  }
  // Not enough variety to fill the list: the section cap gives way, best first (the company cap does not).
  for (const s of heldBack) {
    if (top.length >= caps.topN) break;
    if (companyOk(s)) take(s);
  }
  return top.sort(compareScored);
}

/**
 * Scores and ranks the stories of an edition: 今日要闻 takes the `topN` best under the diversity caps,
 * then each category lists its best of the rest (`sectionCaps[category]`, else `topN`).
 *
 * @example
 * const r = rankStories(stories, { windowFrom, windowTo, topN: 5, topPerSection: 2, topPerCompany: 1 });
 * r.top.map((s) => [s.title, s.score, s.factors]);
 */
export function rankStories(stories: ScoreInput[], opts: RankOptions): Ranking {
  const scored = stories.map((s) => scoreStory(s, opts)).sort(compareScored);
  const { stories: all, duplicates } = distinct(scored);
  const top = pickTop(all, opts);
  const inTop = new Set(top);
  const sections = new Map<Category, ScoredStory[]>();
  for (const c of CATEGORIES) {
    const cap = Math.max(0, opts.sectionCaps?.[c] ?? opts.topN);
    const items = all.filter((s) => s.extraction.category === c && !inTop.has(s)).slice(0, cap);
    if (items.length > 0) sections.set(c, items);
  }
  return { top, sections, all, duplicates };
}
