/**
 * The console's articles pages over the real server and database (PGlite and PostgreSQL): Chinese search by
 * the bigram index for 1-, 2- and 4-character queries, filters combined, paging, a story with its members and
 * facts, a company's page and its trend JSON, the word cloud's keyword weights per period, and hostile titles,
 * summaries, URLs, source names, companies and keywords inert in every page and JSON.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE, HOSTILE_COMPANY, HOSTILE_WORD, seedArticles } from './helpers/articles-seed.ts';
import type { SeededArticles } from './helpers/articles-seed.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';
import { eq } from 'drizzle-orm';
import { articles, extractions } from '../src/db/schema/index.ts';
import type { Extraction } from '../src/domain.ts';

const LATE_FACTS: Extraction = {
  summary: '补充',
  category: 'macro',
  event_type: 'other',
  sentiment: 'neutral',
  sentiment_score: 0,
  importance: 3,
  entities: { companies: [], people: [], institutions: [] },
  keywords: [],
  region: 'CN',
};

const PASSWORD = 'correct horse battery staple 9';
let db: TestDatabase;
let app: FastifyInstance;
let base: string;
let seeded: SeededArticles;
const viewer = () => {
  const c = new Client(base, { 'accept-language': 'zh-CN' });
  return c;
};
let client: Client;

/** Titles of the article rows of a page (the out links and the unlinked titles of the table). */
const rowCount = (html: string) => (html.match(/<tr>/g) ?? []).length - 1;

/** No hostile markup survives as markup. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<script>alert/);
  expect(html).not.toMatch(/<img src=x/);
  expect(html).not.toMatch(/<b onmouseover/);
  expect(html).not.toMatch(/href="javascript:/i);
  expect(html).not.toMatch(/<a href="javascript/i);
}

beforeAll(async () => {
  db = await createTestDatabase();
  seeded = await seedArticles(db.db);
  await addUser(db.db, 'viewer@example.com', 'viewer', PASSWORD);
  ({ app, base } = await startTestServer(db.db, webConfig({ TZ: 'Asia/Shanghai' })));
  client = viewer();
  expect((await client.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('search', () => {
  it('finds a 2-character and a 4-character Chinese query, and a 1-character one', async () => {
    const two = await client.get(`/articles?q=${encodeURIComponent('降准')}`);
    expect(two.status).toBe(200);
    expect(two.text).toContain('央行降准：释放长期资金约1万亿元'); // title has it
    expect(two.text).toContain('人民银行宣布下调存款准备金率'); // only its summary has it
    expect(two.text).toContain('央行此前降准回顾');
    expect(two.text).not.toContain('贵州茅台三季度');
    const four = await client.get(`/articles?q=${encodeURIComponent('人民银行')}`);
    expect(four.text).toContain('人民银行宣布下调存款准备金率');
    expect(four.text).not.toContain('央行此前降准回顾');
    expect(rowCount(four.text)).toBe(1);
    const one = await client.get(`/articles?q=${encodeURIComponent('茅')}`);
    expect(rowCount(one.text)).toBe(2);
    const none = await client.get(`/articles?q=${encodeURIComponent('不存在的词')}`);
    expect(none.text).toContain('没有匹配的文章。');
  });

  it('combines filters: text, sentiment, category, dates and source', async () => {
    const neg = await client.get(`/articles?q=${encodeURIComponent('茅台')}&sentiment=negative`);
    expect(rowCount(neg.text)).toBe(1);
    expect(neg.text).toContain('白酒板块承压');
    const today = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const macro = await client.get(`/articles?category=macro&from=${today}`);
    expect(macro.text).toContain('人民银行宣布下调存款准备金率');
    expect(macro.text).not.toContain('央行此前降准回顾');
    expect(rowCount(macro.text)).toBe(2); // the story's two members
    const src = await client.get(`/articles?q=${encodeURIComponent('降准')}&source=${seeded.sourceIds[1]}`);
    expect(rowCount(src.text)).toBe(1);
    const company = await client.get(`/articles?company=600519.SH`);
    expect(rowCount(company.text)).toBe(2);
    // A bad value is dropped, not a 500.
    expect((await client.get('/articles?category=nope&from=2026-13-40&source=x')).status).toBe(200);
  });

  it('pages 50 at a time, keeping the filters', async () => {
    const q = encodeURIComponent('市场综述');
    const p1 = await client.get(`/articles?q=${q}`);
    expect(rowCount(p1.text)).toBe(50);
    expect(p1.text).toContain('第 1 页，共 2 页（60 条）');
    expect(p1.text).toContain(`href="/articles?q=${q}&amp;page=2"`);
    const p2 = await client.get(`/articles?q=${q}&page=2`);
    expect(rowCount(p2.text)).toBe(10);
    expect(p2.text).toContain('市场综述第60期'); // the oldest, last
  });

  it('speaks English when asked', async () => {
    const en = await client.get('/articles?lang=en');
    expect(en.text).toContain('<h1>Articles</h1>');
    // A story of one article says so in the singular.
    expect(en.text).toContain('>1 article</a>');
    expect(en.text).not.toContain('>1 articles<');
    await client.get('/articles?lang=zh-CN');
  });
});

describe('stories and companies', () => {
  it('shows a story with its members, links out only to http(s), and its facts', async () => {
    const r = await client.get(`/stories/${seeded.stories.rrr}`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('成员文章（2）');
    expect(r.text).toContain('href="https://xinhua.example/a/rrr" target="_blank" rel="noopener noreferrer"');
    expect(r.text).toContain('<span>央行降准：释放长期资金约1万亿元</span>'); // javascript: URL: no link
    expect(r.text).toContain('央行宣布全面降准，释放长期资金约1万亿元。');
    expect(r.text).toContain(`href="/articles?q=${encodeURIComponent('人民银行')}"`);
    // The region in the page's words; the local extractor named once, not "local · local".
    expect(r.text).toContain('<dt>地区</dt><dd>中国内地</dd>');
    expect(r.text).toContain('<dt>抽取来源</dt><dd>local</dd>');
    const en = await client.get(`/stories/${seeded.stories.rrr}?lang=en`);
    expect(en.text).toContain('<dt>Region</dt><dd>Mainland China</dd>');
    await client.get(`/stories/${seeded.stories.rrr}?lang=zh-CN`);
    expect((await client.get('/stories/999999')).status).toBe(404);
    expect((await client.get('/stories/abc')).status).toBe(404);
  });

  it('lists every story naming a company, and its trend as an ECharts option', async () => {
    const page = await client.get('/companies/600519.SH');
    expect(page.status).toBe(200);
    expect(page.text).toContain('公司：贵州茅台 600519.SH');
    expect(page.text).toContain('白酒板块承压');
    expect(page.text).toContain('贵州茅台三季度净利润同比增长15%');
    expect(page.text).toContain('data-chart="/companies/600519.SH/trend?days=90"');
    const res = await fetch(`${base}/companies/600519.SH/trend?days=30`, {
      headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    const json = (await res.json()) as {
      trend: { date: string; stories: number; positive: number; negative: number; avg_score: number | null }[];
      option: { series: { type: string; data: (number | null)[] }[]; xAxis: { data: string[] } };
    };
    expect(json.trend).toHaveLength(30);
    const withStories = json.trend.filter((d) => d.stories > 0);
    expect(withStories.map((d) => [d.positive, d.negative, d.avg_score])).toEqual([
      [0, 1, -0.5],
      [1, 0, 0.7],
    ]);
    expect(json.option.series.map((s) => s.type)).toEqual(['bar', 'bar', 'bar', 'line']);
    expect(json.option.series[3]!.data.filter((v) => v !== null)).toEqual([-0.5, 0.7]);
    // The name search leads there.
    const found = await client.get(`/companies?q=${encodeURIComponent('贵州茅台')}`);
    expect(found.status).toBe(303);
    expect(found.location).toBe('/companies/600519.SH');
    const partial = await client.get(`/companies?q=${encodeURIComponent('茅台')}`);
    expect(partial.text).toContain('href="/companies/600519.SH"');
    // Before a search the page says what it is for; a search that finds nothing says so.
    expect((await client.get('/companies')).text).toContain('输入公司名称或股票代码');
    expect((await client.get(`/companies?q=${encodeURIComponent('无此公司')}`)).text).toContain(
      '没有名称或代码含「无此公司」的公司。',
    );
  });
});

describe('word cloud', () => {
  it('weights keywords by stories over the period, 7 or 30 days', async () => {
    const get = async (days: number) => {
      const r = await client.get(`/words/keywords?days=${days}`);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      return (JSON.parse(r.text) as { words: { word: string; stories: number }[] }).words;
    };
    const week = await get(7);
    const weight = (ws: { word: string; stories: number }[], w: string) => ws.find((x) => x.word === w)?.stories;
    expect(weight(week, '降准')).toBe(2); // two stories, one with two extractions
    expect(weight(week, '贵州茅台')).toBe(2);
    expect(weight(week, '人民银行')).toBe(1);
    expect(week.map((w) => w.stories)).toEqual([...week.map((w) => w.stories)].sort((a, b) => b - a));
    expect(weight(await get(30), '降准')).toBe(3);
    const page = await client.get('/words?days=30');
    expect(page.text).toContain('data-words="/words/keywords?days=30"');
    expect(page.text).toContain('<script src="/static/wordcloud2.js" defer="">');
    expect(page.text).toContain(`href="/articles?q=${encodeURIComponent('降准')}"`);
    const lib = await client.get('/static/wordcloud2.js');
    expect(lib.status).toBe(200);
    expect((await client.get('/static/package.json')).status).toBe(404);
  });

  it('counts again once a new extraction lands (the period is kept in memory until then)', async () => {
    const words = async () =>
      (JSON.parse((await client.get('/words/keywords?days=7')).text) as { words: { word: string; stories: number }[] })
        .words;
    expect((await words()).find((w) => w.word === '新词')).toBeUndefined();
    const [article] = await db.db
      .select({ id: articles.id })
      .from(articles)
      .where(eq(articles.clusterId, seeded.stories.rrr));
    await db.db.insert(extractions).values({
      articleId: article!.id,
      provider: 'late',
      model: 'late',
      promptVersion: 'v1',
      contentHash: 'late',
      result: { ...LATE_FACTS, keywords: ['新词'] },
    });
    expect((await words()).find((w) => w.word === '新词')?.stories).toBe(1);
    expect((await client.get('/words?days=7')).text).toContain(`href="/articles?q=${encodeURIComponent('新词')}"`);
  });
});

describe('hostile text', () => {
  it('is inert in every page and JSON', async () => {
    const pages = [
      `/articles?q=${encodeURIComponent('降准')}`,
      '/articles',
      `/stories/${seeded.stories.hostile}`,
      `/companies/${encodeURIComponent(HOSTILE_COMPANY)}`,
      `/companies?q=${encodeURIComponent('script')}`,
      '/words?days=7',
    ];
    for (const p of pages) {
      const r = await client.get(p);
      expect(r.status, p).toBe(200);
      expectInert(r.text);
    }
    const story = await client.get(`/stories/${seeded.stories.hostile}`);
    expect(story.text).toContain('&lt;img src=x onerror=alert(1)&gt;降准传闻&lt;script&gt;');
    expect(story.text).toContain('href="https://bad.example/a/%22%3E%3Cscript%3Ealert(3)%3C/script%3E"');
    const words = await client.get('/words?days=7');
    expect(words.text).toContain('&lt;b onmouseover=alert(1)&gt;恶意&lt;/b&gt;');
    // JSON carries the text as data, served as JSON (never HTML).
    const json = await client.get('/words/keywords?days=7');
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(json.text).words.map((w: { word: string }) => w.word)).toContain(HOSTILE_WORD);
    const trend = await client.get(`/companies/${encodeURIComponent(HOSTILE_COMPANY)}/trend`);
    expect(trend.headers.get('content-type')).toMatch(/^application\/json/);
    expect(HOSTILE).toContain('<script>');
  });
});
