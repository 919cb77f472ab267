/**
 * The articles search over enough rows that a common word's page is found among the newest articles and a
 * rare one's by the bigram index: every page of either equals the reference (the titles matched in
 * JavaScript, newest first), with the other filters too, and the count stops past the cap.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from '../../../test/helpers/db.ts';
import type { TestDatabase } from '../../../test/helpers/db.ts';
import { sources } from '../schema/index.ts';
import { COUNT_CAP, searchArticles } from './console-articles.ts';
import type { ArticleFilters } from './console-articles.ts';

const N = 2400;
const now = Date.now();
/** Article i: newest first by i; 贵州茅台 in every 3rd title, 降准 in every 40th summary, 新能源 in every 7th. */
const titleOf = (i: number) => `${i % 3 === 0 ? '贵州茅台' : '央行'}${i % 7 === 0 ? '新能源' : '公告'}第${i}号`;
const summaryOf = (i: number) => (i % 40 === 0 ? `  摘要  提到降准 ${i}` : `摘要 ${i}`);

let t: TestDatabase;
let sourceIds: number[];

/** The reference: ids matching in JavaScript (folded as finrep_search_text folds), newest first. */
function expected(q: string, keep: (i: number) => boolean = () => true): number[] {
  const out: number[] = [];
  for (let i = 1; i <= N; i++) {
    const text = `${titleOf(i)} ${summaryOf(i)}`.replace(/\s+/g, ' ').toLowerCase();
    if (text.includes(q) && keep(i)) out.push(i);
  }
  return out;
}

describe(`searchArticles, newest rows then the bigram index (${TEST_DB})`, () => {
  beforeAll(async () => {
    t = await createTestDatabase();
    const rows = await t.db
      .insert(sources)
      .values([1, 2].map((k) => ({ name: `s${k}`, kind: 'rss' as const, url: `https://s${k}.example/feed` })))
      .returning({ id: sources.id });
    sourceIds = rows.map((r) => r.id);
    // Article i has id i and is i minutes old; odd ones from the first source.
    await t.db.execute(sql`
      insert into articles (id, source_id, url, canonical_url, url_hash, title, summary, effective_at, content_hash,
        simhash, band0, band1, band2, band3)
      select i, case when i % 2 = 1 then ${sourceIds[0]!}::int else ${sourceIds[1]!}::int end,
        'https://x.example/' || i, 'https://x.example/' || i, 'h' || i,
        (case when i % 3 = 0 then '贵州茅台' else '央行' end) || (case when i % 7 = 0 then '新能源' else '公告' end) || '第' || i || '号',
        case when i % 40 = 0 then '  摘要  提到降准 ' || i else '摘要 ' || i end,
        ${new Date(now).toISOString()}::timestamptz - i * interval '1 minute', 'c' || i, i, 0, 0, 0, 0
      from generate_series(1, ${N}) i`);
  }, 120_000);

  afterAll(async () => {
    await t?.drop();
  });

  const ids = async (f: ArticleFilters, page: number) =>
    (await searchArticles(t.db, f, page, 50)).rows.map((r) => r.id);

  it('pages a common word (among the newest) and a rare one (by the index) as the reference does', async () => {
    for (const q of ['贵州茅台', '茅台', '降准', '新能源第', '第1234号', '茅']) {
      const want = expected(q);
      for (const page of [1, 2, 5, 17])
        expect(await ids({ q }, page), `${q} p${page}`).toEqual(want.slice((page - 1) * 50, page * 50));
    }
  });

  it('keeps the other filters on both paths, and counts to the cap', async () => {
    const from = new Date(now - 1000 * 60_000);
    const to = new Date(now - 100 * 60_000);
    const inRange = (i: number) => i > 100 && i <= 1000;
    expect(await ids({ q: '贵州茅台', from, to }, 2)).toEqual(expected('贵州茅台', inRange).slice(50, 100));
    expect(await ids({ q: '降准', sourceId: sourceIds[1]! }, 1)).toEqual(
      expected('降准', (i) => i % 2 === 0).slice(0, 50),
    );
    expect((await searchArticles(t.db, { q: '摘要' }, 1, 50)).total).toBe(COUNT_CAP + 1);
    expect((await searchArticles(t.db, { q: '降准' }, 1, 50)).total).toBe(expected('降准').length);
  });

  it('counts facts filters to the cap from the articles own facts, and exactly under it', async () => {
    // One story per article up to 2,000; facts on every article: company news on even ones, negative on every
    // third, so negative company news on every sixth (333 of the 2,000 in a story, 66 more outside one).
    await t.db.execute(sql`insert into story_clusters (id, title, first_seen_at, last_seen_at)
      select i, 's' || i, now(), now() from generate_series(1, 2000) i`);
    await t.db.execute(sql`update articles set cluster_id = id where id <= 2000`);
    await t.db.execute(sql`
      insert into extractions (article_id, provider, model, prompt_version, content_hash, result)
      select i, 'p', 'm', 'v1', 'x', jsonb_build_object(
        'category', case when i % 2 = 0 then 'company' else 'macro' end,
        'sentiment', case when i % 3 = 0 then 'negative' else 'positive' end)
      from generate_series(1, ${N}) i`);
    const total = async (f: ArticleFilters) => (await searchArticles(t.db, f, 1, 50)).total;
    expect(await total({ category: 'company' })).toBe(1000); // 1,000 in a story: counted exactly
    expect(await total({ sentiment: 'positive' })).toBe(COUNT_CAP + 1); // 1,334: from the articles' own facts
    expect(await total({ category: 'company', sentiment: 'negative' })).toBe(333);
    expect(await total({ category: 'macro', sentiment: 'negative' })).toBe(333);
    expect(await total({ category: 'company', q: '贵州茅台' })).toBe(333);
    const page = await searchArticles(t.db, { category: 'company', sentiment: 'negative' }, 2, 50);
    expect(page.rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, k) => 6 * (k + 51)));
  });
});
