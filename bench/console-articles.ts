/**
 * The console's article search on 100,000 articles: seeds a fresh database (PostgreSQL with DATABASE_URL's
 * server, else PGlite) with Chinese titles, stories and facts, then times the articles page's queries (the
 * median of 5 after one warm-up) and prints the plan of the 2-character search.
 *
 *   npx tsx bench/console-articles.ts [--pg postgres://postgres@127.0.0.1:5432/postgres] [--n 100000] [--keep]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.ts';
import { periodKeywords, searchArticles } from '../src/db/queries/console-articles.ts';
import { companyStories } from '../src/db/queries/console-companies.ts';
import type { ArticleFilters } from '../src/db/queries/console-articles.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const { values } = parseArgs({
  options: { pg: { type: 'string' }, n: { type: 'string', default: '100000' }, keep: { type: 'boolean' } },
});
const N = Number(values.n);
const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-articles-'));
let databaseUrl: string | null = null;
const dbName = `finrep_bench_articles_${process.pid}`;
if (values.pg) {
  const admin = new pg.Client({ connectionString: values.pg });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const u = new URL(values.pg);
  u.pathname = `/${dbName}`;
  databaseUrl = u.toString();
}
const { db, close } = await openDatabase({ databaseUrl, dataDir });

const t0 = performance.now();
// Titles from word lists: every article one of ~10^5 combinations; one story per 1.4 articles; facts on each story.
await db.execute(sql`insert into sources (name, kind, url)
  select '来源' || g, 'rss', 'https://example.com/feed/' || g from generate_series(1, 40) g`);
await db.execute(sql`
  with w as (select
    array['央行','证监会','国务院','发改委','财政部','银保监','外汇局','商务部'] a,
    array['宣布','表示','发布','启动','推进','调整','回应','部署'] b,
    array['降准','降息','稳增长','新能源汽车','房地产','人工智能','半导体','消费券','出口管制','债券市场'] c,
    array['贵州茅台','宁德时代','比亚迪','腾讯控股','招商银行','中国平安','小米集团','中芯国际'] d)
  insert into articles (source_id, url, canonical_url, url_hash, title, summary, effective_at, published_at,
    content_hash, simhash, band0, band1, band2, band3)
  select 1 + g % 40, 'https://example.com/a/' || g, 'https://example.com/a/' || g, md5('u' || g),
    w.a[1 + g % 8] || w.b[1 + (g / 8) % 8] || w.c[1 + (g / 64) % 10] || '措施，' || w.d[1 + (g / 7) % 8] || '股价变动 第' || g || '号',
    '据报道，' || w.c[1 + (g / 3) % 10] || '相关政策持续发酵，市场关注' || w.d[1 + g % 8] || '的后续表现。',
    now() - (g * interval '36 seconds'), now() - (g * interval '36 seconds'), md5('c' || g), g, 0, 0, 0, 0
  from generate_series(1, ${N}) g, w`);
await db.execute(sql`insert into story_clusters (id, representative_id, title, size, article_count, first_seen_at, last_seen_at)
  select floor(id / 1.4)::bigint + 1, min(id), min(title), count(*), count(*), min(effective_at), max(effective_at)
  from articles group by floor(id / 1.4)::bigint + 1`);
await db.execute(sql`update articles set cluster_id = floor(id / 1.4)::bigint + 1`);
await db.execute(sql`select setval('story_clusters_id_seq', (select max(id) from story_clusters))`);
await db.execute(sql`
  with w as (select array['macro','policy','market','company','industry','global','other'] cat,
    array['positive','neutral','negative'] sen,
    array['600519.SH','300750.SZ','002594.SZ','0700.HK','600036.SH','601318.SH','1810.HK','688981.SH'] tk)
  insert into extractions (article_id, provider, model, prompt_version, content_hash, result)
  select c.representative_id, 'local', 'local', 'v1', 'x', jsonb_build_object(
    'summary', c.title, 'category', w.cat[1 + c.id % 7], 'event_type', 'other', 'sentiment', w.sen[1 + c.id % 3],
    'sentiment_score', ((c.id % 3) - 1) * 0.6, 'importance', 3, 'region', 'CN', 'keywords', jsonb_build_array('降准', '央行', '板块' || c.id % 50),
    'entities', jsonb_build_object('people', '[]'::jsonb, 'institutions', '[]'::jsonb,
      'companies', jsonb_build_array(jsonb_build_object('name', '公司' || c.id % 300, 'ticker', case when c.id % 20 = 0 then w.tk[1 + c.id % 8] else null end))))
  from story_clusters c, w`);
await db.execute(sql`analyze`);
const seedMs = performance.now() - t0;

async function time(
  name: string,
  fn: () => Promise<unknown>,
): Promise<{ name: string; median_ms: number; note: string }> {
  await fn();
  const ms: number[] = [];
  let note = '';
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const r = await fn();
    ms.push(performance.now() - s);
    note = JSON.stringify(r).slice(0, 60);
  }
  ms.sort((a, b) => a - b);
  return { name, median_ms: Math.round(ms[2]! * 10) / 10, note };
}
const page =
  (f: ArticleFilters, p = 1) =>
  async () => {
    const r = await searchArticles(db, f, p, 50);
    return { total: r.total, rows: r.rows.length };
  };
const month = new Date(Date.now() - 30 * 86_400_000);
const results = [
  await time('no filter, page 1', page({})),
  await time('no filter, page 100', page({}, 100)),
  await time('q=降准 (2 chars)', page({ q: '降准' })),
  await time('q=新能源汽车 (5 chars)', page({ q: '新能源汽车' })),
  await time('q=第12345号 (rare)', page({ q: '第12345号' })),
  await time('q=茅 (1 char)', page({ q: '茅' })),
  await time(
    'q=降准 + category + sentiment + 30 days',
    page({ q: '降准', category: 'macro', sentiment: 'negative', from: month }),
  ),
  await time('company=600519.SH', page({ company: '600519.SH' })),
  await time('companyStories 600519.SH, 1 year', () =>
    companyStories(db, '600519.SH', new Date(Date.now() - 365 * 86_400_000)),
  ),
  await time('periodKeywords 7 days', () => periodKeywords(db, new Date(Date.now() - 7 * 86_400_000), new Date())),
];
const plan = await db.execute(sql`explain analyze select a.id from articles a
  where finrep_bigrams(finrep_search_text(a.title, a.summary)) @> finrep_bigrams('降准')
    and strpos(finrep_search_text(a.title, a.summary), '降准') > 0 order by a.effective_at desc limit 50`);
const planRows = (Array.isArray(plan) ? plan : (plan as { rows: Record<string, string>[] }).rows) as Record<
  string,
  string
>[];
console.log(
  JSON.stringify(
    { database: databaseUrl ? 'postgres' : 'pglite', articles: N, seed_ms: Math.round(seedMs), results },
    null,
    2,
  ),
);
console.log(planRows.map((r) => Object.values(r)[0]).join('\n'));
await close();
rmSync(dataDir, { recursive: true, force: true });
if (values.pg && !values.keep) {
  const admin = new pg.Client({ connectionString: values.pg });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
