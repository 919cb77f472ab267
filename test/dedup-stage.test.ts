/**
 * The DB-backed dedup stage against the in-memory clusterer, on the real schema (PGlite, or PostgreSQL
 * with FINREP_TEST_DB=postgres): same stories, story sizes by distinct sources, indexed candidate lookups.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { articlesQ, sourcesQ } from '../src/db/queries/index.ts';
import { clusterItems, dedupDoc } from '../src/dedup/cluster.ts';
import { fingerprint } from '../src/dedup/fingerprint.ts';
import { lookupKeys, storedKeys } from '../src/dedup/keys.ts';
import { runDedup } from '../src/dedup/run.ts';
import { bands, fromSigned64, simhash } from '../src/dedup/simhash.ts';
import { buildNearDupSet } from '../src/dedup/testdata/neardup/index.ts';
import type { EvalDoc } from '../src/dedup/testdata/neardup/index.ts';
import { silentLogger } from '../src/log.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const SOURCES = 4;

/** A deterministic subset: every document of one story in six (all reposts, twins and hard negatives of those). */
function sample(): EvalDoc[] {
  const all = buildNearDupSet();
  const stories = [...new Set(all.map((d) => d.id.split('~')[0]!))].filter((_, i) => i % 6 === 0);
  const keep = new Set(stories);
  return all.filter((d) => keep.has(d.id.split('~')[0]!));
}

async function insert(db: TestDatabase['db'], docs: readonly EvalDoc[], sourceIds: number[]): Promise<Map<number, string>> {
  const byArticle = new Map<number, string>();
  for (const [i, d] of docs.entries()) {
    const h = createHash('sha256').update(d.id).digest('hex').slice(0, 32);
    const s = simhash(d.title, d.text);
    const id = await articlesQ.insertArticle(db, {
      sourceId: sourceIds[i % SOURCES]!, url: `https://example.com/${encodeURIComponent(d.id)}`, canonicalUrl: `https://example.com/${d.id}`,
      urlHash: h, title: d.title, content: d.text, effectiveAt: d.publishedAt, publishedAt: d.publishedAt, contentHash: h,
      // Deliberately stale values: the stage must recompute what it indexes.
      simhash: 0n, band0: 0, band1: 0, band2: 0, band3: 0, dedupNumbers: [],
    });
    expect(s).toBeTypeOf('bigint');
    byArticle.set(id!, d.id);
  }
  return byArticle;
}

async function partition(db: TestDatabase['db'], byArticle: Map<number, string>): Promise<Record<string, string>> {
  const rows = await db.execute(sql`select a.id, c.representative_id as rep from articles a join story_clusters c on c.id = a.cluster_id`);
  const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { id: number | string; rep: number | string }[];
  return Object.fromEntries(list.map((r) => [byArticle.get(Number(r.id))!, byArticle.get(Number(r.rep))!]));
}

describe(`dedup stage (${TEST_DB})`, () => {
  let t: TestDatabase;
  let docs: EvalDoc[];
  let sourceIds: number[];
  const log = silentLogger();

  beforeAll(async () => {
    t = await createTestDatabase();
    docs = sample();
    await sourcesQ.upsertSources(t.db, Array.from({ length: SOURCES }, (_, i) => ({
      key: `dedup-test-${i}`, name: `来源${i}`, kind: 'rss' as const, url: `https://s${i}.example.com/feed`, rules: null, weight: 1, timezone: null,
    })));
    sourceIds = (await sourcesQ.listSources(t.db)).map((s) => s.id).sort((a, b) => a - b);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('decides exactly as clusterItems, in two runs split in time, and stores what it indexes', async () => {
    const ordered = [...docs].sort((a, b) => a.publishedAt.getTime() - b.publishedAt.getTime());
    const half = Math.floor(ordered.length / 2);
    const byArticle = await insert(t.db, ordered.slice(0, half), sourceIds);
    const first = await runDedup({ db: t.db, log });
    for (const [id, docId] of await insert(t.db, ordered.slice(half), sourceIds)) byArticle.set(id, docId);
    const second = await runDedup({ db: t.db, log });
    expect(first.unique + first.nearDuplicates + second.unique + second.nearDuplicates).toBe(docs.length);

    const expected = clusterItems(ordered.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt })));
    const got = await partition(t.db, byArticle);
    expect(got).toEqual(Object.fromEntries(expected));
    expect(new Set(Object.values(got)).size).toBeLessThan(docs.length / 3); // most documents joined a story

    const again = await runDedup({ db: t.db, log });
    expect(again).toEqual({ unique: 0, nearDuplicates: 0, created: [] });

    const [row] = await t.db.execute(sql`select id, title, content, simhash, band0, band1, band2, band3, effective_at from articles order by id limit 1`)
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[]);
    const fp = fingerprint(String(row!.title), String(row!.content));
    expect(fromSigned64(row!.simhash as string)).toBe(fp.simhash);
    expect([row!.band0, row!.band1, row!.band2, row!.band3].map(Number)).toEqual(bands(fp.simhash));
    expect(await articlesQ.listDedupKeys(t.db, Number(row!.id))).toEqual(storedKeys(fp, new Date(String(row!.effective_at))));

    // Re-fingerprinting replaces the stored keys.
    await articlesQ.setDedupFeatures(t.db, Number(row!.id), { simhash: 1n, bands: [0, 0, 0, 1], numbers: ['1.5%'], keys: [7, 3] });
    expect(await articlesQ.listDedupKeys(t.db, Number(row!.id))).toEqual([3, 7]);
  });

  it('sizes each story by its distinct sources and counts its articles', async () => {
    const rows = await t.db.execute(sql`
      select c.size, c.article_count, count(a.id)::int as n, count(distinct a.source_id)::int as sources
      from story_clusters c join articles a on a.cluster_id = c.id group by c.id`);
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as Record<string, number>[];
    expect(list.some((r) => Number(r.n) > SOURCES)).toBe(true);
    for (const r of list) {
      expect(Number(r.size)).toBe(Number(r.sources));
      expect(Number(r.article_count)).toBe(Number(r.n));
    }
  });

  it('finds exactly the stored articles of the window that share a band or a key', async () => {
    const rows = await t.db.execute(sql`
      select a.id, a.band0, a.band1, a.band2, a.band3, a.effective_at, coalesce(array_agg(k.key) filter (where k.key is not null), '{}') as dedup_keys
      from articles a left join article_dedup_keys k on k.article_id = a.id where a.cluster_id is not null group by a.id`)
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[]);
    for (const d of docs.filter((_, i) => i % 25 === 0)) {
      const fp = fingerprint(d.title, d.text);
      const from = new Date(d.publishedAt.getTime() - 72 * 3_600_000);
      const to = new Date(d.publishedAt.getTime() + 72 * 3_600_000);
      const look = { bands: bands(fp.simhash), keys: lookupKeys(fp, from, to), from, to };
      const keys = new Set(look.keys);
      const expected = rows.filter((r) => {
        const at = new Date(String(r.effective_at)).getTime();
        const sharesBand = [r.band0, r.band1, r.band2, r.band3].some((v, i) => Number(v) === look.bands[i]);
        // Key matches are not limited to the window by the query (the bucket does that); the stage filters by time.
        return at >= from.getTime() && at <= to.getTime() && (sharesBand || (r.dedup_keys as number[]).some((k) => keys.has(Number(k))));
      }).map((r) => Number(r.id)).sort((x, y) => x - y);
      const got = (await articlesQ.findDedupCandidates(t.db, look)).map((c) => c.id).sort((x, y) => x - y);
      expect(got).toEqual(expected);
      expect(got.length).toBeGreaterThan(0);
    }
    const plan = await articlesQ.explainDedupCandidates(t.db, { bands: [1, 2, 3, 4], keys: [5, 6], from: new Date(0), to: new Date() });
    expect(plan.join('\n')).toMatch(/articles/);
  });
});

describe(`dedup keys retention (${TEST_DB})`, () => {
  let t: TestDatabase;
  afterAll(async () => {
    await t?.drop();
  });

  it('purges the keys of articles older than window + margin before the run, and decides as before', async () => {
    t = await createTestDatabase();
    await sourcesQ.upsertSources(t.db, Array.from({ length: SOURCES }, (_, i) => ({
      key: `dedup-keys-${i}`, name: `来源${i}`, kind: 'rss' as const, url: `https://k${i}.example.com/feed`, rules: null, weight: 1, timezone: null,
    })));
    const sourceIds = (await sourcesQ.listSources(t.db)).map((s) => s.id).sort((a, b) => a - b);
    const docs = sample().filter((_, i) => i % 3 === 0).sort((a, b) => a.publishedAt.getTime() - b.publishedAt.getTime());
    const DAY = 86_400_000;
    // The same stories again, ten days later (another id): beyond the first ones' window and a 2-day margin.
    const later = docs.map((d) => ({ ...d, id: `${d.id}#later`, publishedAt: new Date(d.publishedAt.getTime() + 10 * DAY) }));
    const opts = { keyRetentionMarginMs: 2 * DAY };
    const count = async () => Number(((await t.db.execute(sql`select count(*)::int as n from article_dedup_keys`)
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows))) as { n: number }[])[0]!.n);

    const byArticle = await insert(t.db, docs, sourceIds);
    await runDedup({ db: t.db, log: silentLogger() }, opts);
    const firstKeys = await count();
    expect(firstKeys).toBeGreaterThan(docs.length); // nothing old enough yet

    for (const [id, docId] of await insert(t.db, later, sourceIds)) byArticle.set(id, docId);
    await runDedup({ db: t.db, log: silentLogger() }, opts);
    const firstIds = [...byArticle].filter(([, d]) => !d.endsWith('#later')).map(([id]) => id);
    for (const id of firstIds.slice(0, 20)) expect(await articlesQ.listDedupKeys(t.db, id)).toEqual([]);
    expect(await count()).toBe(firstKeys); // the later copies' keys, as many as the first ones had

    // Each copy decides on its own: the later stories are the first ones again, not joined to them.
    const got = await partition(t.db, byArticle);
    const expected = Object.fromEntries(clusterItems(docs.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt }))));
    for (const [doc, rep] of Object.entries(expected)) {
      expect(got[doc]).toBe(rep);
      expect(got[`${doc}#later`]).toBe(`${rep}#later`);
    }
  });
});
