/**
 * The DB-backed dedup stage against the in-memory clusterer, on the real schema (PGlite, or PostgreSQL
 * with FINREP_TEST_DB=postgres): same stories, story sizes by distinct sources, indexed candidate lookups.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { articlesQ, dedupIndexQ, sourcesQ } from '../src/db/queries/index.ts';
import { clusterItems, dedupDoc } from '../src/dedup/cluster.ts';
import { fingerprint } from '../src/dedup/fingerprint.ts';
import { dedupKeys } from '../src/dedup/keys.ts';
import { candidateStats, MAX_VERIFIED } from '../src/dedup/postings.ts';
import { dedupPhases, runDedup } from '../src/dedup/run.ts';
import { bands, fromSigned64, simhash, toSigned64 } from '../src/dedup/simhash.ts';
import { buildNearDupSet } from '../src/dedup/testdata/neardup/index.ts';
import type { EvalDoc } from '../src/dedup/testdata/neardup/index.ts';
import { FLOOD_AT, floodRows } from '../src/dedup/testdata/flood.ts';
import { templatedReports } from '../src/dedup/testdata/templated.ts';
import { silentLogger } from '../src/log.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Database } from '../src/db/client.ts';
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

async function insert(
  db: TestDatabase['db'],
  docs: readonly EvalDoc[],
  sourceIds: number[],
): Promise<Map<number, string>> {
  const byArticle = new Map<number, string>();
  for (const [i, d] of docs.entries()) {
    const h = createHash('sha256').update(d.id).digest('hex').slice(0, 32);
    const s = simhash(d.title, d.text);
    const id = await articlesQ.insertArticle(db, {
      sourceId: sourceIds[i % SOURCES]!,
      url: `https://example.com/${encodeURIComponent(d.id)}`,
      canonicalUrl: `https://example.com/${d.id}`,
      urlHash: h,
      title: d.title,
      content: d.text,
      effectiveAt: d.publishedAt,
      publishedAt: d.publishedAt,
      contentHash: h,
      // Deliberately stale values: the stage must recompute what it indexes.
      simhash: 0n,
      band0: 0,
      band1: 0,
      band2: 0,
      band3: 0,
      dedupNumbers: [],
    });
    expect(s).toBeTypeOf('bigint');
    byArticle.set(id!, d.id);
  }
  return byArticle;
}

async function partition(db: TestDatabase['db'], byArticle: Map<number, string>): Promise<Record<string, string>> {
  const rows = await db.execute(
    sql`select a.id, c.representative_id as rep from articles a join story_clusters c on c.id = a.cluster_id`,
  );
  const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as {
    id: number | string;
    rep: number | string;
  }[];
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
    await sourcesQ.upsertSources(
      t.db,
      Array.from({ length: SOURCES }, (_, i) => ({
        key: `dedup-test-${i}`,
        name: `来源${i}`,
        kind: 'rss' as const,
        url: `https://s${i}.example.com/feed`,
        rules: null,
        weight: 1,
        timezone: null,
      })),
    );
    sourceIds = (await sourcesQ.listSources(t.db)).map((s) => s.id).sort((a, b) => a - b);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('decides exactly as clusterItems, in two runs split in time, and stores what it indexes', async () => {
    const ordered = [...docs].sort((a, b) => a.publishedAt.getTime() - b.publishedAt.getTime());
    const half = Math.floor(ordered.length / 2);
    const byArticle = await insert(t.db, ordered.slice(0, half), sourceIds);
    // The first run looks up its newcomers in small batches (a story's reposts fall in different batches: a
    // later batch finds them stored), the second in one.
    const first = await runDedup({ db: t.db, log }, { lookupBatch: 7 });
    for (const [id, docId] of await insert(t.db, ordered.slice(half), sourceIds)) byArticle.set(id, docId);
    const second = await runDedup({ db: t.db, log });
    expect(first.unique + first.nearDuplicates + second.unique + second.nearDuplicates).toBe(docs.length);

    const expected = clusterItems(
      ordered.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt })),
    );
    const got = await partition(t.db, byArticle);
    expect(got).toEqual(Object.fromEntries(expected));
    expect(new Set(Object.values(got)).size).toBeLessThan(docs.length / 3); // most documents joined a story

    const again = await runDedup({ db: t.db, log });
    expect(again).toEqual({ unique: 0, nearDuplicates: 0, created: [] });

    const [row] = await t.db
      .execute(
        sql`select id, title, content, simhash, band0, band1, band2, band3, effective_at from articles order by id limit 1`,
      )
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[]);
    const fp = fingerprint(String(row!.title), String(row!.content));
    expect(fromSigned64(row!.simhash as string)).toBe(fp.simhash);
    expect([row!.band0, row!.band1, row!.band2, row!.band3].map(Number)).toEqual(bands(fp.simhash));
    expect(await dedupIndexQ.listDedupKeys(t.db, Number(row!.id))).toEqual(dedupKeys(fp));

    // Re-fingerprinting replaces the stored keys.
    await dedupIndexQ.setDedupFeatures(t.db, Number(row!.id), {
      simhash: 1n,
      bands: [0, 0, 0, 1],
      numbers: ['1.5%'],
      keys: [7, 3],
    });
    expect(await dedupIndexQ.listDedupKeys(t.db, Number(row!.id))).toEqual([3, 7]);
    await dedupIndexQ.setDedupFeatures(t.db, Number(row!.id), {
      simhash: toSigned64(fp.simhash),
      bands: bands(fp.simhash),
      numbers: [...fp.numbers].sort(),
      keys: dedupKeys(fp),
    });
    expect(await dedupIndexQ.listDedupKeys(t.db, Number(row!.id))).toEqual(dedupKeys(fp));
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

  it('stores the keys it indexes on each article, and reads them back as a window in time order', async () => {
    const rows = await t.db
      .execute(sql`select a.id, a.effective_at, a.title, a.content from articles a where a.cluster_id is not null`)
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[]);
    // The keys every stored article should have, recomputed from its text.
    const stored = new Map(rows.map((r) => [Number(r.id), dedupKeys(fingerprint(String(r.title), String(r.content)))]));
    const times = rows.map((r) => new Date(String(r.effective_at)).getTime());
    const window = await dedupIndexQ.windowKeys(t.db, new Date(Math.min(...times)), new Date(Math.max(...times)));
    expect(window.map((a) => a.id).sort((x, y) => x - y)).toEqual([...stored.keys()].sort((x, y) => x - y));
    for (const a of window) expect(a.keys).toEqual(stored.get(a.id));
    const order = window.map((a) => a.effectiveAt.getTime());
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('re-keys the clustered articles of the window that lost their keys (a migration that changed them)', async () => {
    const before = await t.db
      .execute(sql`select id as article_id, unnest(dedup_keys) as key from articles order by 1, 2`)
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[]);
    await t.db.execute(sql`update articles set dedup_keys = null`);
    // A newcomer: a copy of a stored article under a new URL, dated inside the stored range.
    const d = docs[3]!;
    await t.db
      .execute(sql`insert into articles (source_id, url, canonical_url, url_hash, title, content, effective_at, first_seen_at, content_hash, simhash, band0, band1, band2, band3)
      select source_id, url || '?copy', canonical_url || '?copy', url_hash || 'copy', title, content, effective_at + interval '1 hour', now(), content_hash || 'copy', simhash, band0, band1, band2, band3
      from articles where title = ${d.title} order by id limit 1`);
    const result = await runDedup({ db: t.db, log });
    expect(result).toMatchObject({ unique: 0, nearDuplicates: 1 });
    const after = await t.db
      .execute(
        sql`select id as article_id, unnest(dedup_keys) as key from articles where url not like '%?copy' order by 1, 2`,
      )
      .then((r) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[]);
    // Every article the window reaches has its keys back, exactly as the stage stored them.
    const ids = new Set(after.map((r) => Number(r.article_id)));
    expect(ids.size).toBeGreaterThan(0);
    expect(after.map((r) => `${r.article_id}:${r.key}`)).toEqual(
      before.filter((r) => ids.has(Number(r.article_id))).map((r) => `${r.article_id}:${r.key}`),
    );
  });
});

describe(`dedup stage over windows apart (${TEST_DB})`, () => {
  let t: TestDatabase;
  afterAll(async () => {
    await t?.drop();
  });

  it('reads the window of each run: copies ten days later start stories of their own', async () => {
    t = await createTestDatabase();
    await sourcesQ.upsertSources(
      t.db,
      Array.from({ length: SOURCES }, (_, i) => ({
        key: `dedup-keys-${i}`,
        name: `来源${i}`,
        kind: 'rss' as const,
        url: `https://k${i}.example.com/feed`,
        rules: null,
        weight: 1,
        timezone: null,
      })),
    );
    const sourceIds = (await sourcesQ.listSources(t.db)).map((s) => s.id).sort((a, b) => a - b);
    const docs = sample()
      .filter((_, i) => i % 3 === 0)
      .sort((a, b) => a.publishedAt.getTime() - b.publishedAt.getTime());
    const DAY = 86_400_000;
    // The same stories again, ten days later (another id): beyond the first ones' window and a 2-day margin.
    const later = docs.map((d) => ({
      ...d,
      id: `${d.id}#later`,
      publishedAt: new Date(d.publishedAt.getTime() + 10 * DAY),
    }));
    const byArticle = await insert(t.db, docs, sourceIds);
    await runDedup({ db: t.db, log: silentLogger() });
    // Both sets in one run too: the run's index is rebuilt when its newcomers move past a gap.
    for (const [id, docId] of await insert(t.db, later, sourceIds)) byArticle.set(id, docId);
    await runDedup({ db: t.db, log: silentLogger() });
    const firstIds = [...byArticle].filter(([, d]) => !d.endsWith('#later')).map(([id]) => id);
    for (const id of firstIds.slice(0, 5))
      expect((await dedupIndexQ.listDedupKeys(t.db, id)).length).toBeGreaterThan(4);

    // Each copy decides on its own: the later stories are the first ones again, not joined to them.
    const got = await partition(t.db, byArticle);
    const expected = Object.fromEntries(
      clusterItems(docs.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt }))),
    );
    for (const [doc, rep] of Object.entries(expected)) {
      expect(got[doc]).toBe(rep);
      expect(got[`${doc}#later`]).toBe(`${rep}#later`);
    }
  });
});

describe(`dedup stage on templated news (${TEST_DB})`, () => {
  let t: TestDatabase;
  afterAll(async () => {
    await t?.drop();
  });

  it('verifies a bounded number of candidates per newcomer, finds the reposts and decides as clusterItems', async () => {
    t = await createTestDatabase();
    await sourcesQ.upsertSources(t.db, [
      {
        key: 'templated',
        name: '数据快讯',
        kind: 'rss' as const,
        url: 'https://tpl.example.com/feed',
        rules: null,
        weight: 1,
        timezone: null,
      },
    ]);
    const [source] = await sourcesQ.listSources(t.db);
    const docs = templatedReports(500, { repostShare: 0.1 });
    const ids = await articlesQ.insertArticles(
      t.db,
      docs.map((d) => {
        const h = createHash('sha256').update(d.id).digest('hex').slice(0, 32);
        return {
          sourceId: source!.id,
          url: `https://tpl.example.com/${d.id}`,
          canonicalUrl: `https://tpl.example.com/${d.id}`,
          urlHash: h,
          title: d.title,
          content: d.text,
          effectiveAt: d.publishedAt,
          publishedAt: d.publishedAt,
          contentHash: h,
          simhash: 0n,
          band0: 0,
          band1: 0,
          band2: 0,
          band3: 0,
          dedupNumbers: [],
        };
      }),
    );
    const byArticle = new Map(ids.map((id, i) => [id!, docs[i]!.id]));
    const stats = candidateStats();
    // Batches of 100: from the second on, stored reports are found through the key query's samples.
    await runDedup({ db: t.db, log: silentLogger() }, { lookupBatch: 100, stats });
    expect(stats.newcomers).toBe(500);
    expect(stats.maxVerified).toBeLessThanOrEqual(MAX_VERIFIED);
    // Without the bounds, every earlier report of the window: ~250 per newcomer here.
    expect(stats.verified / stats.newcomers).toBeLessThan(40);
    const got = await partition(t.db, byArticle);
    const expected = clusterItems(
      docs.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt })),
    );
    expect(got).toEqual(Object.fromEntries(expected));
    const reposts = docs.filter((d) => d.story !== d.id);
    expect(reposts.length).toBeGreaterThan(20);
    for (const d of reposts) expect(got[d.id]).toBe(got[d.story]);
    expect(new Set(Object.values(got)).size).toBe(new Set(docs.map((d) => d.story)).size);
  });
});

describe(`dedup stage on one feed's flood (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('reads a batch at a time, two statements per batch, its window once, and decides as clusterItems', async () => {
    await sourcesQ.upsertSources(t.db, [
      {
        key: 'flood',
        name: 'flood',
        kind: 'rss' as const,
        url: 'https://flood.example.com/feed',
        rules: null,
        weight: 1,
        timezone: null,
      },
    ]);
    const [source] = await sourcesQ.listSources(t.db);
    const items = 2_000;
    const rows = floodRows(source!.id, 0, items);
    const ids = await articlesQ.insertArticles(t.db, rows);
    // Every database call the stage makes on its handle (a transaction counts once, whatever it holds).
    const calls: string[] = [];
    const counted = new Proxy(t.db, {
      get(target, name, receiver) {
        const v = Reflect.get(target, name, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const phases = dedupPhases();
    const r = await runDedup({ db: counted, log: silentLogger() }, { lookupBatch: 400, phases });

    // The decisions: clusterItems' (the counter is a significant number: every item a story of its own).
    expect(r.unique).toBe(items);
    const byArticle = new Map(ids.map((id, i) => [id!, `flood-${i}`]));
    const expected = clusterItems(
      rows.map((a, i) => Object.assign(dedupDoc(a.title, a.summary!), { id: `flood-${i}`, publishedAt: FLOOD_AT })),
    );
    expect(await partition(t.db, byArticle)).toEqual(Object.fromEntries(expected));

    // Five batches of 400, each: its articles, its decisions stored in one transaction — no key query, and no
    // decision went back to the database on its own. A few calls more for the run (the ids, re-keying, its
    // window's stored articles, read once).
    expect(phases.batches).toBe(5);
    expect(phases.textQueries).toBe(0);
    expect(calls.length).toBeLessThanOrEqual(2 * phases.batches + 4);

    // The next run finds the stored flood in its window (read once) and decides as clusterItems on the whole.
    const more = floodRows(source!.id, items, items + 400);
    const moreIds = await articlesQ.insertArticles(t.db, more);
    calls.length = 0;
    const stats = candidateStats();
    expect((await runDedup({ db: counted, log: silentLogger() }, { lookupBatch: 400, stats })).unique).toBe(400);
    expect(calls.length).toBeLessThanOrEqual(2 + 4);
    expect(stats.verified).toBeGreaterThan(0); // the stored items were candidates
    for (const [i, id] of moreIds.entries()) byArticle.set(id!, `flood-${items + i}`);
    const all = [...rows, ...more];
    expect(await partition(t.db, byArticle)).toEqual(
      Object.fromEntries(
        clusterItems(
          all.map((a, i) => Object.assign(dedupDoc(a.title, a.summary!), { id: `flood-${i}`, publishedAt: FLOOD_AT })),
        ),
      ),
    );
  });
});

describe(`dedup runs at once (${TEST_DB})`, () => {
  let t: TestDatabase;
  let other: Database | null = null;
  afterAll(async () => {
    await other?.close();
    await t?.drop();
  });

  it('two runs at once (two connection pools on PostgreSQL) deduplicate each article once, as clusterItems', async () => {
    t = await createTestDatabase();
    // Another worker's handle on PostgreSQL; PGlite belongs to one process, whose runs share its handle.
    other = t.databaseUrl
      ? await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir, migrate: false })
      : null;
    await sourcesQ.upsertSources(t.db, [
      {
        key: 'at-once',
        name: '数据快讯',
        kind: 'rss' as const,
        url: 'https://once.example.com/feed',
        rules: null,
        weight: 1,
        timezone: null,
      },
    ]);
    const [source] = await sourcesQ.listSources(t.db);
    const docs = templatedReports(300, { repostShare: 0.2, seed: 7 });
    const ids = await articlesQ.insertArticles(
      t.db,
      docs.map((d) => {
        const h = createHash('sha256').update(d.id).digest('hex').slice(0, 32);
        return {
          sourceId: source!.id,
          url: `https://once.example.com/${d.id}`,
          canonicalUrl: `https://once.example.com/${d.id}`,
          urlHash: h,
          title: d.title,
          content: d.text,
          effectiveAt: d.publishedAt,
          publishedAt: d.publishedAt,
          contentHash: h,
          simhash: 0n,
          band0: 0,
          band1: 0,
          band2: 0,
          band3: 0,
          dedupNumbers: [],
        };
      }),
    );
    // Without the dedup lock both would list the same newcomers and assign each twice.
    const runs = await Promise.all([
      runDedup({ db: t.db, log: silentLogger() }, { lookupBatch: 50 }),
      runDedup({ db: other?.db ?? t.db, log: silentLogger() }, { lookupBatch: 50 }),
    ]);
    expect(runs.reduce((n, r) => n + r.unique + r.nearDuplicates, 0)).toBe(docs.length);
    expect(runs.reduce((n, r) => n + r.nearDuplicates, 0)).toBeGreaterThan(20);
    const byArticle = new Map(ids.map((id, i) => [id!, docs[i]!.id]));
    const expected = clusterItems(
      docs.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt })),
    );
    expect(await partition(t.db, byArticle)).toEqual(Object.fromEntries(expected));
  });
});
