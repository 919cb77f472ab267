import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from '../../../test/helpers/db.ts';
import type { TestDatabase } from '../../../test/helpers/db.ts';
import { articles } from '../schema/index.ts';
import { insertArticle, insertArticles } from './articles.ts';
import type { NewArticle } from './articles.ts';
import { listSources, upsertSources } from './sources.ts';

const at = new Date('2025-11-10T00:00:00Z');
const row = (sourceId: number, url: string, content: string): NewArticle => ({
  sourceId,
  url,
  canonicalUrl: url,
  urlHash: `u:${url}`,
  title: content,
  content,
  effectiveAt: at,
  contentHash: `c:${content}`,
  simhash: 0n,
  band0: 0,
  band1: 0,
  band2: 0,
  band3: 0,
});

describe(`insertArticles (${TEST_DB})`, () => {
  let t: TestDatabase;
  let a: number;
  let b: number;

  beforeAll(async () => {
    t = await createTestDatabase();
    await upsertSources(
      t.db,
      ['a', 'b'].map((key) => ({
        key,
        name: key,
        kind: 'rss' as const,
        url: `http://${key}.test/`,
        rules: null,
        weight: 1,
        timezone: null,
      })),
    );
    [a, b] = (await listSources(t.db)).map((s) => s.id) as [number, number];
    expect(await insertArticle(t.db, row(a, '/stored', 'stored text'))).toBeTypeOf('number');
    expect(await insertArticle(t.db, row(a, '/stored', 'other text'))).toBeNull();
  });
  afterAll(async () => t?.drop());

  it('gives the ids and duplicates that inserting one row after the other would', async () => {
    const cases: { name: string; a: NewArticle; isNew: boolean }[] = [
      { name: 'new', a: row(a, '/1', 'one'), isNew: true },
      { name: 'URL already stored', a: row(a, '/stored', 'two'), isNew: false },
      { name: 'content already stored by the source', a: row(a, '/3', 'stored text'), isNew: false },
      { name: 'content stored by another source only', a: row(b, '/4', 'stored text'), isNew: true },
      { name: 'URL earlier in the batch', a: row(b, '/1', 'five'), isNew: false },
      { name: 'content earlier in the batch, same source', a: row(a, '/6', 'one'), isNew: false },
      { name: 'content earlier in the batch, other source', a: row(b, '/7', 'one'), isNew: true },
      // Its URL is stored, so its content is not: the next row with that content is the source's first copy.
      { name: 'URL stored, new content', a: row(b, '/stored', 'eight'), isNew: false },
      { name: 'content of a URL duplicate', a: row(b, '/9', 'eight'), isNew: true },
      { name: 'and then a duplicate of that', a: row(b, '/10', 'eight'), isNew: false },
    ];
    const ids = await insertArticles(
      t.db,
      cases.map((c) => c.a),
    );
    expect(cases.map((c, i) => `${c.name}: ${ids[i] === null ? 'duplicate' : 'new'}`)).toEqual(
      cases.map((c) => `${c.name}: ${c.isNew ? 'new' : 'duplicate'}`),
    );
    const stored = await t.db
      .select({ id: articles.id, url: articles.url, sourceId: articles.sourceId })
      .from(articles);
    for (const [i, id] of ids.entries()) {
      if (id !== null)
        expect(stored.find((s) => s.id === id)).toMatchObject({ url: cases[i]!.a.url, sourceId: cases[i]!.a.sourceId });
    }
    expect(stored).toHaveLength(1 + cases.filter((c) => c.isNew).length);
  });

  it('inserts more rows than one statement takes, and nothing for an empty list', async () => {
    const many = Array.from({ length: 1203 }, (_, i) => row(b, `/many/${i}`, `many ${i}`));
    const ids = await insertArticles(t.db, many);
    expect(new Set(ids).size).toBe(many.length);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(await insertArticles(t.db, many.slice(0, 10))).toEqual(Array(10).fill(null));
    expect(await insertArticles(t.db, [])).toEqual([]);
  });
});
