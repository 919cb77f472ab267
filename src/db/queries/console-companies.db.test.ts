/**
 * The company pages' queries over `company_mentions` and the triggers keeping it: a story named by two
 * extractions counts once with its newest facts, by ticker and by name; the period bounds the range; an
 * article moved to another story moves its mentions; deleting an article deletes them; malformed facts write
 * nothing and never fail the extraction's insert.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from '../../../test/helpers/db.ts';
import type { TestDatabase } from '../../../test/helpers/db.ts';
import type { Extraction } from '../../domain.ts';
import { articles, extractions, sources, storyClusters } from '../schema/index.ts';
import { companyDays, companyName, companyStories, findCompanies } from './console-companies.ts';
import { searchArticles } from './console-articles.ts';

const DAY = 86_400_000;
const now = Date.now();
let t: TestDatabase;
let sourceId: number;
let n = 0;

const facts = (sentiment: Extraction['sentiment'], score: unknown, companies: unknown): Extraction =>
  ({
    summary: 's',
    category: 'company',
    event_type: 'other',
    sentiment,
    sentiment_score: score,
    importance: 3,
    entities: { companies, people: [], institutions: [] },
    keywords: [],
    region: 'CN',
  }) as Extraction;

async function story(daysAgo: number): Promise<number> {
  const at = new Date(now - daysAgo * DAY);
  const [c] = await t.db
    .insert(storyClusters)
    .values({ title: `story ${daysAgo}`, firstSeenAt: at, lastSeenAt: at })
    .returning({ id: storyClusters.id });
  return c!.id;
}

async function article(clusterId: number | null, daysAgo: number): Promise<number> {
  n++;
  const at = new Date(now - daysAgo * DAY);
  const [a] = await t.db
    .insert(articles)
    .values({
      sourceId,
      url: `https://x.example/${n}`,
      canonicalUrl: `https://x.example/${n}`,
      urlHash: `h${n}`,
      title: `article ${n}`,
      effectiveAt: at,
      contentHash: `c${n}`,
      simhash: BigInt(n),
      band0: 0,
      band1: 0,
      band2: 0,
      band3: 0,
      clusterId,
    })
    .returning({ id: articles.id });
  return a!.id;
}

const extract = (articleId: number, result: Extraction, provider = 'local') =>
  t.db.insert(extractions).values({ articleId, provider, model: 'm', promptVersion: 'v1', contentHash: 'x', result });

const maotai = [{ name: '贵州茅台', ticker: '600519.SH' }];
const mentions = async (key: string) =>
  Number(
    (
      (await t.db.execute(sql`select count(*)::int as n from company_mentions where company = ${key}`)) as {
        rows: { n: number }[];
      }
    ).rows[0]!.n,
  );

describe(`company pages over company_mentions (${TEST_DB})`, () => {
  const ids = { recent: 0, older: 0, old: 0, other: 0, moved: 0 };

  beforeAll(async () => {
    t = await createTestDatabase();
    const [s] = await t.db
      .insert(sources)
      .values({ name: 's', kind: 'rss', url: 'https://x.example/feed' })
      .returning({ id: sources.id });
    sourceId = s!.id;
    ids.recent = await story(1);
    ids.older = await story(10);
    ids.old = await story(40);
    ids.other = await story(2);
    // The recent story: two members, two extractions — the newer says negative.
    const a1 = await article(ids.recent, 1);
    const a2 = await article(ids.recent, 1);
    await extract(a1, facts('positive', 0.8, maotai));
    await extract(a2, facts('negative', -0.4, maotai));
    await extract(await article(ids.older, 10), facts('positive', 0.6, [{ name: '贵州茅台', ticker: null }]));
    await extract(await article(ids.old, 40), facts('neutral', 0, maotai));
    ids.moved = await article(ids.other, 2);
    await extract(ids.moved, facts('positive', 0.5, [{ name: '宁德时代', ticker: '300750.SZ' }]));
  });

  afterAll(async () => {
    await t?.drop();
  });

  it('lists the stories naming a ticker or a name once each, newest first, within the period', async () => {
    const byTicker = await companyStories(t.db, '600519.SH', new Date(now - 30 * DAY));
    expect(byTicker.map((s) => [s.clusterId, s.sentiment, s.score, s.category])).toEqual([
      [ids.recent, 'negative', -0.4, 'company'],
    ]);
    const byName = await companyStories(t.db, '贵州茅台', new Date(now - 90 * DAY));
    expect(byName.map((s) => s.clusterId)).toEqual([ids.recent, ids.older, ids.old]);
    expect(byName[0]!.title).toBe('story 1');
    expect(await companyStories(t.db, '贵州茅台', new Date(now - 90 * DAY), 2)).toHaveLength(2);
    expect(await companyName(t.db, '600519.SH')).toEqual({ name: '贵州茅台', ticker: '600519.SH' });
    expect(await companyName(t.db, '没有')).toBeNull();
  });

  it('counts a period per day and sentiment, a story once', async () => {
    const days = await companyDays(t.db, '贵州茅台', new Date(now - 30 * DAY), 'Asia/Shanghai');
    expect(days.map((d) => [d.sentiment, d.stories, Math.round(d.scoreSum * 100) / 100]).sort()).toEqual([
      ['negative', 1, -0.4],
      ['positive', 1, 0.6],
    ]);
  });

  it('finds companies by part of a name or ticker, one row each, counting their stories', async () => {
    const year = new Date(now - 365 * DAY);
    expect(await findCompanies(t.db, '茅台', year)).toEqual([{ name: '贵州茅台', ticker: '600519.SH', stories: 3 }]);
    expect(await findCompanies(t.db, '600519', year)).toEqual([{ name: '贵州茅台', ticker: '600519.SH', stories: 2 }]);
    expect(await findCompanies(t.db, '茅台', new Date(now - 30 * DAY))).toEqual([
      { name: '贵州茅台', ticker: '600519.SH', stories: 2 },
    ]);
    expect((await findCompanies(t.db, '.sz', year)).map((c) => c.ticker)).toEqual(['300750.SZ']);
    expect(await findCompanies(t.db, '没有', year)).toEqual([]);
    expect(await findCompanies(t.db, '  ', year)).toEqual([]);
  });

  it('finds the articles of the stories naming a company', async () => {
    const { rows, total } = await searchArticles(t.db, { company: '600519.SH' }, 1, 50);
    expect(total).toBe(3); // the recent story's two members and the old story's
    expect(new Set(rows.map((r) => r.clusterId))).toEqual(new Set([ids.recent, ids.old]));
  });

  it('moves the mentions with an article moved to another story, and drops them with it', async () => {
    await t.db.execute(sql`update articles set cluster_id = ${ids.recent} where id = ${ids.moved}`);
    const moved = await companyStories(t.db, '300750.SZ', new Date(now - 30 * DAY));
    expect(moved.map((s) => s.clusterId)).toEqual([ids.recent]);
    await t.db.execute(sql`delete from articles where id = ${ids.moved}`);
    expect(await mentions('300750.SZ')).toBe(0);
  });

  it('writes nothing for malformed facts, and never fails the insert', async () => {
    const a = await article(ids.other, 2);
    await extract(a, facts('positive', 'high', 'not a list'), 'p1');
    await extract(a, facts('positive', 1e300, ['a string', null, { name: '' }, { name: '隆基绿能' }]), 'p2');
    expect(await mentions('隆基绿能')).toBe(1);
    const [s] = await companyStories(t.db, '隆基绿能', new Date(now - 30 * DAY));
    expect(s!.score).toBe(1); // clamped to -1…1
    // An article not yet in a story has no mention; it gets them when dedup puts it in one.
    const loose = await article(null, 2);
    await extract(loose, facts('neutral', 0, [{ name: '中芯国际', ticker: '688981.SH' }]));
    expect(await mentions('688981.SH')).toBe(0);
    await t.db.execute(sql`update articles set cluster_id = ${ids.other} where id = ${loose}`);
    expect(await mentions('688981.SH')).toBe(1);
  });
});
