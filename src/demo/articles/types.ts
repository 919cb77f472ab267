/**
 * The shared shape of a demo-world article. Content files (one per topic) export arrays of these; the
 * demo server turns them into feeds and pages. `category`, `sentiment` and `tickers` are ground-truth
 * labels used later to evaluate the extractor, so they must be labelled honestly.
 */
import type { Category, Sentiment } from '../../domain.ts';

/** The fixed keys of the demo world's sources. */
export const SOURCE_KEYS = [
  'feed-macro',
  'feed-markets',
  'feed-gbk',
  'feed-relative',
  'feed-global',
  'feed-companies',
  'site-policy',
  'site-industry',
  'site-dynamic',
] as const;

/** One of the demo world's source keys. */
export type SourceKey = (typeof SOURCE_KEYS)[number];

/** A fictional article served by one demo source. */
export interface DemoArticle {
  /** Unique across the whole world, ASCII only (it becomes part of URLs and guids). */
  slug: string;
  outlet: SourceKey;
  title: string;
  /** Paragraphs of Chinese text. */
  body: string[];
  /** Hours before the edition anchor (0.3–23.5), so the article lands in the edition's window. */
  hoursAgo: number;
  author?: string;
  /** The 来源 line, e.g. 新华财经. */
  origin?: string;
  category: Category;
  sentiment: Sentiment;
  /** Exchange-qualified tickers, e.g. 600519.SH, 0700.HK, AAPL. */
  tickers?: string[];
  /** Articles sharing a story id are edited copies of one news item (near-duplicates for dedup). */
  story?: string;
  /** Editor's note printed after the body, used to vary near-duplicates. */
  editorNote?: string;
}
