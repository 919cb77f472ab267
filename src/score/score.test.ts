import { describe, expect, it } from 'vitest';
import type { Category, Extraction } from '../domain.ts';
import { DEFAULT_WEIGHTS, FACTORS, compareScored, rankStories, scoreStory, titleKey, watchMatches } from './index.ts';
import type { ScoreInput, ScoreWeights } from './index.ts';

const FROM = new Date('2025-11-09T22:00:00Z');
const TO = new Date('2025-11-10T22:00:00Z');
const hoursBeforeCutoff = (h: number) => new Date(TO.getTime() - h * 3_600_000);

let nextId = 1;
/** A story with neutral defaults; override what the case is about. */
function story(
  o: {
    id?: number;
    cluster?: number | null;
    title?: string;
    category?: Category;
    importance?: number;
    coverage?: number;
    hoursAgo?: number;
    sourceWeight?: number;
    sentiment?: number;
    companies?: { name: string; ticker: string | null }[];
    keywords?: string[];
    summary?: string;
  } = {},
): ScoreInput {
  const id = o.id ?? nextId++;
  const extraction: Extraction = {
    summary: o.summary ?? '摘要',
    category: o.category ?? 'market',
    event_type: '其他',
    sentiment: 'neutral',
    sentiment_score: o.sentiment ?? 0,
    importance: o.importance ?? 3,
    entities: { companies: o.companies ?? [], people: [], institutions: [] },
    keywords: o.keywords ?? [],
    region: 'CN',
  };
  return {
    articleId: id,
    clusterId: o.cluster === undefined ? id : o.cluster,
    coverage: o.coverage ?? 1,
    sourceWeight: o.sourceWeight ?? 1,
    effectiveAt: hoursBeforeCutoff(o.hoursAgo ?? 12),
    extraction,
    title: o.title ?? `新闻 ${id}`,
  };
}

const ctx = { windowFrom: FROM, windowTo: TO };
const weights = (w: Partial<ScoreWeights>): ScoreWeights => ({ ...DEFAULT_WEIGHTS, ...w });

describe('scoreStory', () => {
  it('keeps every factor and sums them into the score', () => {
    const s = scoreStory(story({ importance: 5, coverage: 6, hoursAgo: 0, sourceWeight: 2, sentiment: -1 }), ctx);
    expect(Object.keys(s.factors)).toEqual([...FACTORS]);
    expect(s.factors).toEqual({ importance: 40, coverage: 25, source: 10, recency: 10, watchlist: 0, sentiment: 5 });
    expect(s.score).toBe(90);
  });

  const cases = [
    { name: 'importance 1 earns nothing, 3 half', input: { importance: 3 }, factor: 'importance', want: 20 },
    { name: 'a single source earns no coverage', input: { coverage: 1 }, factor: 'coverage', want: 0 },
    { name: 'coverage is logarithmic (2 of 6 sources)', input: { coverage: 2 }, factor: 'coverage', want: 9.67 },
    { name: 'coverage saturates', input: { coverage: 40 }, factor: 'coverage', want: 25 },
    { name: 'default source weight earns half', input: { sourceWeight: 1 }, factor: 'source', want: 5 },
    { name: 'source weight 0 earns nothing', input: { sourceWeight: 0 }, factor: 'source', want: 0 },
    { name: 'recency: half the window old', input: { hoursAgo: 12 }, factor: 'recency', want: 5 },
    { name: 'recency: older than the window', input: { hoursAgo: 30 }, factor: 'recency', want: 0 },
    { name: 'recency: after the cut-off counts as new', input: { hoursAgo: -1 }, factor: 'recency', want: 10 },
    { name: 'sentiment strength, either sign', input: { sentiment: -0.6 }, factor: 'sentiment', want: 3 },
  ] as const;
  for (const c of cases) {
    it(c.name, () => expect(scoreStory(story(c.input), ctx).factors[c.factor]).toBe(c.want));
  }

  it('treats a negative weight as 0', () => {
    expect(
      scoreStory(story({ importance: 5 }), { ...ctx, weights: weights({ importance: -10 }) }).factors.importance,
    ).toBe(0);
  });
});

describe('watchMatches', () => {
  const s = story({
    title: '贵州茅台发布三季报',
    summary: 'AI 芯片需求旺盛',
    keywords: ['白酒'],
    companies: [
      { name: '贵州茅台', ticker: '600519.SH' },
      { name: '英伟达', ticker: 'NVDA' },
    ],
  });
  const cases = [
    {
      name: 'ticker with exchange',
      watch: { tickers: ['600519.SH'], companies: [], keywords: [] },
      want: ['600519.SH'],
    },
    { name: 'ticker without exchange', watch: { tickers: ['600519'], companies: [], keywords: [] }, want: ['600519'] },
    { name: 'ticker in lower case', watch: { tickers: ['nvda'], companies: [], keywords: [] }, want: ['nvda'] },
    {
      name: 'another exchange is another ticker',
      watch: { tickers: ['600519.SZ'], companies: [], keywords: [] },
      want: [],
    },
    {
      name: 'company by extracted name',
      watch: { tickers: [], companies: ['英伟达'], keywords: [] },
      want: ['英伟达'],
    },
    { name: 'keyword in the summary, any case', watch: { tickers: [], companies: [], keywords: ['ai'] }, want: ['ai'] },
    { name: 'keyword among the keywords', watch: { tickers: [], companies: [], keywords: ['白酒'] }, want: ['白酒'] },
    { name: 'blank entries never match', watch: { tickers: [' '], companies: [''], keywords: [''] }, want: [] },
    {
      name: 'each entry once',
      watch: { tickers: ['600519.SH', '600519.SH'], companies: ['贵州茅台'], keywords: [] },
      want: ['600519.SH', '贵州茅台'],
    },
  ];
  for (const c of cases) it(c.name, () => expect(watchMatches(s, c.watch)).toEqual(c.want));
});

describe('rankStories', () => {
  it('puts coverage above recency when coverage weighs more, and the reverse', () => {
    const wide = story({ title: '多家媒体报道', coverage: 5, hoursAgo: 20 });
    const fresh = story({ title: '刚刚发布', coverage: 1, hoursAgo: 0 });
    const byCoverage = rankStories([fresh, wide], { ...ctx, topN: 2, weights: weights({ coverage: 30, recency: 10 }) });
    expect(byCoverage.top.map((s) => s.title)).toEqual(['多家媒体报道', '刚刚发布']);
    const byRecency = rankStories([fresh, wide], { ...ctx, topN: 2, weights: weights({ coverage: 5, recency: 30 }) });
    expect(byRecency.top.map((s) => s.title)).toEqual(['刚刚发布', '多家媒体报道']);
  });

  it('lifts a watch-listed story above an otherwise equal one, and says why', () => {
    const plain = story({ title: '某公司公告', companies: [{ name: '某公司', ticker: '000001.SZ' }] });
    const watched = story({ title: '贵州茅台公告', companies: [{ name: '贵州茅台', ticker: '600519.SH' }] });
    const watch = { tickers: ['600519.SH'], companies: ['贵州茅台'], keywords: [] };
    const r = rankStories([plain, watched], { ...ctx, topN: 1, watch });
    expect(r.top[0]?.title).toBe('贵州茅台公告');
    expect(r.top[0]?.watchHits).toEqual(['600519.SH', '贵州茅台']);
    expect(r.top[0]?.factors.watchlist).toBe(20);
    // One match earns half the points.
    const one = rankStories([watched], { ...ctx, topN: 1, watch: { ...watch, companies: [] } });
    expect(one.top[0]?.factors.watchlist).toBe(10);
    // And it lifts a lower-importance story over a more important one.
    const important = story({ title: '重要但未关注', importance: 4 });
    expect(rankStories([important, watched], { ...ctx, topN: 1, watch }).top[0]?.title).toBe('贵州茅台公告');
  });

  it('never gives one story two slots', () => {
    const a = story({ cluster: 7, importance: 5, title: '央行降准' });
    const b = story({ cluster: 7, importance: 4, title: '央行宣布降准 0.5 个百分点' });
    const c = story({ cluster: 8, importance: 4, title: '央行 降准！' }); // another cluster, the same title
    const d = story({ cluster: 9, importance: 3, title: '其他新闻' });
    const r = rankStories([a, b, c, d], { ...ctx, topN: 1 });
    expect(r.all.map((s) => s.title)).toEqual(['央行降准', '其他新闻']);
    expect(r.duplicates).toBe(2);
    expect(r.top.map((s) => s.title)).toEqual(['央行降准']);
    // The top story is not repeated in its section.
    expect(r.sections.get('market')?.map((s) => s.title)).toEqual(['其他新闻']);
  });

  it('keeps one section from filling 今日要闻, unless nothing else is left', () => {
    const market = [5, 5, 5, 5].map((importance, i) => story({ category: 'market', importance, title: `市场 ${i}` }));
    const macro = story({ category: 'macro', importance: 3, title: '宏观' });
    const policy = story({ category: 'policy', importance: 2, title: '政策' });
    const r = rankStories([...market, macro, policy], { ...ctx, topN: 4, topPerSection: 2 });
    expect(r.top.map((s) => s.title)).toEqual(['市场 0', '市场 1', '宏观', '政策']);
    expect(r.sections.get('market')?.map((s) => s.title)).toEqual(['市场 2', '市场 3']);
    // Only market news: the cap gives way rather than leave 今日要闻 short.
    expect(rankStories(market, { ...ctx, topN: 3, topPerSection: 2 }).top).toHaveLength(3);
  });

  it('keeps at most K stories per company in 今日要闻', () => {
    const maotai = (title: string, ticker: string) =>
      story({ category: 'company', importance: 5, title, companies: [{ name: '贵州茅台', ticker }] });
    const stories = [
      maotai('茅台一', '600519.SH'),
      maotai('茅台二', '600519'),
      maotai('茅台三', '600519.SH'),
      story({ importance: 2, title: '别的' }),
    ];
    const r = rankStories(stories, { ...ctx, topN: 3, topPerCompany: 1 });
    expect(r.top.map((s) => s.title)).toEqual(['茅台一', '别的']);
    expect(r.sections.get('company')?.map((s) => s.title)).toEqual(['茅台二', '茅台三']);
    expect(rankStories(stories, { ...ctx, topN: 3, topPerCompany: 2 }).top.map((s) => s.title)).toEqual([
      '茅台一',
      '茅台二',
      '别的',
    ]);
  });

  it('caps each section, with per-section overrides', () => {
    const stories = (['macro', 'macro', 'macro', 'policy', 'policy', 'policy'] as const).map((category, i) =>
      story({ category, title: `${category} ${i}` }),
    );
    const r = rankStories(stories, { ...ctx, topN: 0, sectionCaps: { macro: 1, policy: 0 } });
    expect(r.sections.get('macro')).toHaveLength(1);
    expect(r.sections.has('policy')).toBe(false);
    expect(rankStories(stories, { ...ctx, topN: 2 }).sections.get('policy')).toHaveLength(2);
  });

  it('breaks ties by importance, coverage, time, then id — whatever the input order', () => {
    // Equal scores by construction: importance and coverage points traded against each other.
    const w = weights({ importance: 10, coverage: 0, source: 0, recency: 0, watchlist: 0, sentiment: 0 });
    const stories = [
      story({ id: 40, importance: 3, coverage: 1, hoursAgo: 5 }),
      story({ id: 30, importance: 3, coverage: 3, hoursAgo: 5 }),
      story({ id: 20, importance: 3, coverage: 3, hoursAgo: 1 }),
      story({ id: 10, importance: 3, coverage: 3, hoursAgo: 1 }),
      story({ id: 50, importance: 4, coverage: 1, hoursAgo: 9 }),
    ];
    const want = [50, 10, 20, 30, 40];
    for (let i = 0; i < 20; i++) {
      const shuffled = [...stories].sort(() => Math.random() - 0.5);
      expect(rankStories(shuffled, { ...ctx, topN: 5, weights: w }).top.map((s) => s.articleId)).toEqual(want);
    }
  });

  it('orders strictly: compareScored is a total order', () => {
    const a = scoreStory(story({ id: 1 }), ctx);
    const b = scoreStory(story({ id: 2 }), ctx);
    expect(compareScored(a, b)).toBeLessThan(0);
    expect(compareScored(b, a)).toBeGreaterThan(0);
    expect(compareScored(a, a)).toBe(0);
  });
});

describe('titleKey', () => {
  it('ignores punctuation, spaces, width and case', () => {
    expect(titleKey('央行 降准！ＡＩ')).toBe(titleKey('央行降准ai'));
  });
});
