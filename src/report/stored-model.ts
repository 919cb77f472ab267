import type { ReportEntry, ReportModel } from '../domain.ts';

/** The model's fields that hold dates (everything else is JSON as it is). */
const DATE_KEYS = new Set(['generatedAt', 'publishedAt', 'from', 'to']);

/** What is the article's own in an entry of `all`; the rest (summary, sources, scores …) is its story's. */
type ArticleKey = 'articleId' | 'title' | 'url' | 'source' | 'publishedAt';
type ArticlePart = Pick<ReportEntry, ArticleKey>;
type StoryPart = Omit<ReportEntry, ArticleKey>;

/**
 * `all` as stored: every distinct story part once (`stories`), and per article its own fields and the index
 * of its story part (`story`). The edition's 6,000 articles of 600 stories stored as full entries took
 * ~12 MB of JSON, each article repeating its story's summary, sources, keywords and score breakdown.
 */
interface StoredAll {
  stories: StoryPart[];
  articles: (ArticlePart & { story: number })[];
}

/** Whether two story parts hold the same values (shared objects compare at once, others by their JSON). */
function sameStory(a: StoryPart, b: StoryPart): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (x !== y && JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** Splits `all` into its distinct story parts and the articles pointing at them. */
function packAll(all: ReportEntry[]): StoredAll {
  const stories: StoryPart[] = [];
  // Candidates by story: two entries share a story part only when every story field is the same.
  const byCluster = new Map<number | string, number[]>();
  const articles = all.map((e) => {
    const { articleId, title, url, source, publishedAt, ...story } = e;
    const key = e.clusterId ?? `article ${articleId}`;
    const candidates = byCluster.get(key) ?? [];
    let at = candidates.find((i) => sameStory(stories[i]!, story));
    if (at === undefined) {
      at = stories.push(story) - 1;
      byCluster.set(key, [...candidates, at]);
    }
    return { articleId, title, url, source, publishedAt, story: at };
  });
  return { stories, articles };
}

/** The report model as stored with its edition (JSON; the charts are drawn again from it). */
export function storeReportModel(model: ReportModel): Record<string, unknown> {
  const { charts: _charts, all, ...rest } = model;
  return JSON.parse(JSON.stringify({ ...rest, allPacked: packAll(all ?? []) })) as Record<string, unknown>;
}

/**
 * The model back from its stored JSON. Dates are revived by field name only, so a third-party title that
 * happens to look like a timestamp stays a string. Models stored before `all` was packed load as they are.
 */
export function loadReportModel(stored: Record<string, unknown>): ReportModel {
  const { allPacked, ...rest } = JSON.parse(JSON.stringify(stored), (key, value: unknown) =>
    DATE_KEYS.has(key) && typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : value,
  ) as ReportModel & { allPacked?: StoredAll };
  if (!allPacked) return rest;
  // Every article of a story shares the story part's objects (as `buildReportModel` makes them).
  const all = allPacked.articles.map(({ story, ...article }) => ({ ...allPacked.stories[story]!, ...article }));
  return { ...rest, all };
}
