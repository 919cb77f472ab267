/**
 * Plain domain types shared by the stages. They carry no database or HTTP types, so every stage can be
 * called and tested on its own; `pipeline/` maps database rows to and from them.
 */

/** How a source is collected. */
export type SourceKind = 'rss' | 'web' | 'dynamic';

/** Per-source rules for `web` and `dynamic` sources (stored as JSON on the source row). */
export interface WebRules {
  /** List page URL(s); defaults to the source URL. */
  listUrls?: string[];
  /** CSS selector of the links to article pages on a list page (`a` elements or elements containing one). */
  itemSelector: string;
  titleSelector?: string;
  dateSelector?: string;
  authorSelector?: string;
  /** Without it, main-text extraction finds the article body. */
  contentSelector?: string;
  /** Follow `nextPageSelector` up to this many list pages. @defaultValue 1 */
  maxPages?: number;
  nextPageSelector?: string;
  /** Dynamic sources: wait for this selector before reading the page. */
  waitForSelector?: string;
  /**
   * At most this many article pages per run (web, dynamic), or items kept per fetch, the newest (feeds,
   * whose rules may hold only this and `budgetSec`). @defaultValue 50 (web), config `CRAWL_FEED_MAX_ITEMS` (feeds)
   */
  maxItems?: number;
  /** Seconds the source may take in all, list and article pages included. @defaultValue config `CRAWL_SOURCE_BUDGET_SEC` */
  budgetSec?: number;
}

/** A configured source as the collect stage sees it. */
export interface SourceSpec {
  id: number;
  name: string;
  kind: SourceKind;
  url: string;
  rules: WebRules | null;
  /** Ranking weight. @defaultValue 1 */
  weight: number;
  /** IANA zone for dates without one; null → config `TZ`. */
  timezone: string | null;
  /** Allow private/loopback addresses (the demo world and tests). */
  allowPrivate: boolean;
  headers: Record<string, string>;
  /** Conditional GET validators remembered from the last fetch. */
  etag: string | null;
  lastModified: string | null;
}

/** One item found by a collector, before normalisation and dedup. */
export interface CollectedItem {
  url: string;
  title: string;
  /** Short description from the feed or list page (plain text). */
  summary: string | null;
  /** Main text (plain text, paragraphs separated by blank lines). */
  content: string | null;
  author: string | null;
  publishedAt: Date | null;
  guid: string | null;
}

/** What one source's collection produced. */
export interface CollectResult {
  items: CollectedItem[];
  /** True when the server answered 304 Not Modified. */
  notModified: boolean;
  httpStatus: number | null;
  bytes: number;
  etag: string | null;
  lastModified: string | null;
  /** What an operator should know about a fetch that still succeeded (items capped, time budget spent…). */
  warnings?: string[];
}

export const CATEGORIES = ['macro', 'policy', 'market', 'company', 'industry', 'global', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Chinese section titles, in report order. */
export const CATEGORY_LABELS: Record<Category, string> = {
  macro: '宏观',
  policy: '政策',
  market: '市场',
  company: '公司',
  industry: '行业',
  global: '国际',
  other: '其他',
};

export type Sentiment = 'positive' | 'neutral' | 'negative';
export type Region = 'CN' | 'HK' | 'US' | 'global' | 'other';

/** The extraction output, exactly the schema of DESIGN §2 (validated by `extract/schema.ts`). */
export interface Extraction {
  summary: string;
  category: Category;
  event_type: string;
  sentiment: Sentiment;
  sentiment_score: number;
  importance: number;
  entities: {
    companies: { name: string; ticker: string | null }[];
    people: string[];
    institutions: string[];
  };
  keywords: string[];
  region: Region;
}

/** The input of an extractor: one article's text, declared as data. */
export interface ArticleInput {
  title: string;
  source: string;
  publishedAt: Date | null;
  text: string;
}

/** One story as it appears in the report. */
export interface ReportEntry {
  articleId: number;
  title: string;
  url: string;
  /** Name of the representative article's source. */
  source: string;
  /** Every distinct source carrying the story. */
  sources: string[];
  /** Number of distinct sources ("N 家媒体报道"). */
  coverage: number;
  publishedAt: Date | null;
  summary: string;
  category: Category;
  eventType: string;
  sentiment: Sentiment;
  sentimentScore: number;
  importance: number;
  tickers: string[];
  companies: string[];
  keywords: string[];
  region: Region;
  score: number;
  /** Each scoring factor's contribution. */
  factors: Record<string, number>;
  /** Rank within its section (1-based), or within the top list for `top` entries. */
  rank: number;
  /** Watch-list entries (tickers, companies, keywords) the story matched. */
  watchHits?: string[];
  /** The story (cluster) the article belongs to; articles of one story share it. */
  clusterId?: number | null;
  /** An intraday alert pushed the story before the edition was composed (shown as 已预警). */
  alerted?: boolean;
}

/** Stories of one category by sentiment (the report's statistics and chart). */
export interface CategoryMood {
  category: Category;
  positive: number;
  neutral: number;
  negative: number;
}

/** A chart of the report, rendered to PNG: inline (CID) in the email, a `data:` URI in the web view. */
export interface ReportChart {
  /** `categories` or `sentiment`. */
  id: string;
  /** Content-ID of the inline image (`<img src="cid:…">`), stable for the edition. */
  cid: string;
  /** File name of the PNG, stored with the edition and used for the attachment. */
  filename: string;
  /** The chart in words, shown when images are blocked. */
  alt: string;
  /** Display size in CSS pixels (the PNG has twice the pixels). */
  width: number;
  height: number;
  /** The PNG as a `data:image/png;base64,…` URI. */
  dataUri: string;
}

/** Per-source line of the report's statistics. */
export interface SourceStat {
  name: string;
  kind: SourceKind;
  fetched: number;
  newArticles: number;
  status: 'ok' | 'failed' | 'not_modified';
  error: string | null;
}

/** Everything compose needs to render one edition. */
export interface ReportModel {
  /** Edition date, YYYY-MM-DD in `timezone`. */
  edition: string;
  title: string;
  timezone: string;
  generatedAt: Date;
  window: { from: Date; to: Date };
  counts: { sources: number; articles: number; stories: number };
  /** Market mood from the sentiment of the edition's stories. */
  mood: { positive: number; neutral: number; negative: number };
  /** 今日要闻 */
  top: ReportEntry[];
  sections: { category: Category; label: string; items: ReportEntry[] }[];
  /** Every article of the edition (the workbook's 全部文章). */
  all: ReportEntry[];
  sourceStats: SourceStat[];
  /** Absolute URL of the edition's web view, when a public base URL is configured. */
  webViewUrl: string | null;
  /** Stories per category and sentiment; derived from `all` when absent. */
  categoryMood?: CategoryMood[];
  /** Charts rendered for this edition (set by `writeReportFiles`); none → the email shows a text bar. */
  charts?: ReportChart[];
}
