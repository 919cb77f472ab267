/**
 * The sources list's page: the total of the filtered sources counted apart from the page (past the last page
 * too), and each listed source's articles since a time.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from '../../../test/helpers/db.ts';
import type { TestDatabase } from '../../../test/helpers/db.ts';
import { sources } from '../schema/index.ts';
import { countRecentArticles, listSourcesPage } from './console-sources.ts';

const now = Date.now();
const since = new Date(now - 7 * 86_400_000);
let t: TestDatabase;
let ids: number[];

describe(`listSourcesPage (${TEST_DB})`, () => {
  beforeAll(async () => {
    t = await createTestDatabase();
    // 12 sources, every third disabled; source k has k articles, the first k - 1 of them older than a week.
    const rows = await t.db
      .insert(sources)
      .values(
        Array.from({ length: 12 }, (_, k) => ({
          name: `来源 ${k + 1}`,
          kind: 'rss' as const,
          url: `https://s${k + 1}.example/feed`,
          enabled: (k + 1) % 3 !== 0,
        })),
      )
      .returning({ id: sources.id });
    ids = rows.map((r) => r.id);
    await t.db.execute(sql`
      insert into articles (source_id, url, canonical_url, url_hash, title, first_seen_at, effective_at,
        content_hash, simhash, band0, band1, band2, band3)
      select s.id, 'https://x.example/' || s.id || '/' || i, 'https://x.example/' || s.id || '/' || i,
        s.id || ':' || i, 't', seen, seen, 'c' || s.id || ':' || i, 0, 0, 0, 0, 0
      from (select id, row_number() over (order by id) as k from sources) s, generate_series(1, s.k) i,
        lateral (select case when i = s.k then now() - interval '1 hour' else now() - interval '20 days' end as seen) x`);
  });

  afterAll(async () => {
    await t?.drop();
  });

  it('pages the filtered sources with their total and their articles of the week', async () => {
    const first = await listSourcesPage(t.db, { enabled: true }, { limit: 5, offset: 0, since });
    expect(first.total).toBe(8);
    expect(first.rows.map((r) => r.name)).toEqual(['来源 1', '来源 2', '来源 4', '来源 5', '来源 7']);
    expect(first.rows.map((r) => r.recentArticles)).toEqual([1, 1, 1, 1, 1]);
    const last = await listSourcesPage(t.db, { enabled: true }, { limit: 5, offset: 5, since });
    expect(last.rows.map((r) => r.name)).toEqual(['来源 8', '来源 10', '来源 11']);
    expect(last.total).toBe(8);
    const past = await listSourcesPage(t.db, { enabled: true }, { limit: 5, offset: 50, since });
    expect(past).toEqual({ rows: [], total: 8 });
    const all = await listSourcesPage(t.db, {}, { limit: 50, offset: 0, since: new Date(now - 30 * 86_400_000) });
    expect(all.rows.map((r) => r.recentArticles)).toEqual(ids.map((_, k) => k + 1));
    expect(await countRecentArticles(t.db, ids[11]!, since)).toBe(1);
    expect(await countRecentArticles(t.db, ids[11]!, new Date(now - 30 * 86_400_000))).toBe(12);
  });
});
