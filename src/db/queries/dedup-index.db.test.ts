import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from '../../../test/helpers/db.ts';
import type { TestDatabase } from '../../../test/helpers/db.ts';
import { insertArticles } from './articles.ts';
import type { NewArticle } from './articles.ts';
import { sql } from 'drizzle-orm';
import {
  addDedupKeys,
  assignStories,
  listDedupKeys,
  listUnkeyed,
  setDedupFeatures,
  windowKeys,
} from './dedup-index.ts';
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

describe(`dedup keys on the article row (${TEST_DB})`, () => {
  let t: TestDatabase;
  afterAll(async () => t?.drop());

  it('stores keys ascending and distinct, and reads a window of clustered, keyed articles in time order', async () => {
    t = await createTestDatabase();
    await upsertSources(t.db, [
      { key: 'w', name: 'w', kind: 'rss', url: 'http://w.test/', rules: null, weight: 1, timezone: null },
    ]);
    const [source] = await listSources(t.db);
    const HOUR = 3_600_000;
    // Hours from `at`, in id order: keyed and clustered (0, 1, 3, 5), keyed but unclustered (2), neither (4).
    const hours = [5, -2, 1, 0, 3, 10];
    const ids: number[] = [];
    for (const [i, h] of hours.entries())
      ids.push(
        (
          await insertArticles(t.db, [
            { ...row(source!.id, `/w/${i}`, `w${i}`), effectiveAt: new Date(at.getTime() + h * HOUR) },
          ])
        )[0]!,
      );
    const [story] = await assignStories(
      t.db,
      [0, 1, 3, 4, 5].map((i) => ({
        article: { id: ids[i]!, title: `w${i}`, effectiveAt: new Date(at.getTime() + hours[i]! * HOUR) },
        story: 'new' as const,
        features: { simhash: BigInt(-i), bands: [i, 0, 0, 0], numbers: [], keys: [30 + i, 10 + i, 30 + i] },
      })),
    );
    expect(story).toBeGreaterThan(0);
    await setDedupFeatures(t.db, ids[2]!, { simhash: 0n, bands: [0, 0, 0, 0], numbers: [], keys: [9, 2, 9] });
    expect(await listDedupKeys(t.db, ids[2]!)).toEqual([2, 9]);
    expect(await listDedupKeys(t.db, ids[0]!)).toEqual([10, 30]);
    // A clustered article without keys (stored before the column existed) is listed to be re-keyed.
    await t.db.execute(sql`update articles set dedup_keys = null where id = ${ids[4]!}`);
    const from = new Date(at.getTime() - HOUR);
    const to = new Date(at.getTime() + 5 * HOUR);
    expect((await listUnkeyed(t.db, from, to)).map((a) => a.id)).toEqual([ids[4]!]);

    const window = await windowKeys(t.db, from, to);
    expect(window.map((a) => a.id)).toEqual([ids[3]!, ids[0]!]); // 0 h, 5 h: not -2 h, not unclustered, not unkeyed
    expect(window[1]).toMatchObject({ keys: [10, 30], simhash: 0n, effectiveAt: new Date(at.getTime() + 5 * HOUR) });
    expect(typeof window[1]!.clusterId).toBe('number');
    expect((await windowKeys(t.db, at, to, { after: true })).map((a) => a.id)).toEqual([ids[0]!]);

    await addDedupKeys(t.db, [{ id: ids[4]!, keys: [7, 4] }]);
    expect(await listUnkeyed(t.db, from, to)).toEqual([]);
    expect((await windowKeys(t.db, from, to)).map((a) => a.id)).toEqual([ids[3]!, ids[4]!, ids[0]!]);
  });
});
