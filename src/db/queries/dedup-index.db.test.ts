import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from '../../../test/helpers/db.ts';
import type { TestDatabase } from '../../../test/helpers/db.ts';
import { insertArticles } from './articles.ts';
import type { NewArticle } from './articles.ts';
import { listDedupKeys, purgeDedupKeys, setDedupFeatures } from './dedup-index.ts';
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

describe(`purgeDedupKeys (${TEST_DB})`, () => {
  let t: TestDatabase;
  afterAll(async () => t?.drop());

  it('deletes the keys of articles dated before the cutoff, lowest ids first, up to the limit', async () => {
    t = await createTestDatabase();
    await upsertSources(t.db, [
      { key: 'p', name: 'p', kind: 'rss', url: 'http://p.test/', rules: null, weight: 1, timezone: null },
    ]);
    const [source] = await listSources(t.db);
    const DAY = 86_400_000;
    const cutoff = new Date('2025-11-10T00:00:00Z');
    // Days relative to the cutoff, in id order: a recent article first (it must not stop the purge behind it).
    const days = [1, -30, -20, -10, -1, 0, 5];
    const ids: number[] = [];
    for (const [i, d] of days.entries()) {
      const [id] = await insertArticles(t.db, [
        { ...row(source!.id, `/p/${i}`, `p${i}`), effectiveAt: new Date(cutoff.getTime() + d * DAY) },
      ]);
      await setDedupFeatures(t.db, id!, {
        simhash: 0n,
        bands: [0, 0, 0, 0],
        numbers: [],
        keys: [i * 10 + 1, i * 10 + 2, i * 10 + 3],
      });
      ids.push(id!);
    }
    const keysLeft = async () => Promise.all(ids.map(async (id) => (await listDedupKeys(t.db, id)).length));

    expect(await purgeDedupKeys(t.db, cutoff, 2)).toBe(6); // the two oldest ids among the expired
    expect(await keysLeft()).toEqual([3, 0, 0, 3, 3, 3, 3]);
    expect(await purgeDedupKeys(t.db, cutoff)).toBe(6);
    expect(await keysLeft()).toEqual([3, 0, 0, 0, 0, 3, 3]);
    expect(await purgeDedupKeys(t.db, cutoff)).toBe(0);
    expect(await purgeDedupKeys(t.db, new Date(cutoff.getTime() + 100 * DAY))).toBe(9);
    expect(await purgeDedupKeys(t.db, new Date(cutoff.getTime() + 100 * DAY))).toBe(0); // an empty table
  });
});
