/**
 * The dedup stage's queries: the articles still to deduplicate, the index keys of a time window's articles
 * (`articles.dedup_keys`, `windowKeys`), the texts the decision re-reads, and the storing of decisions with
 * their stories and keys (`assignStories`). Article storage itself is `articles.ts`. The former per-key table
 * (`article_dedup_keys`, `findKeyedArticles`) is no longer written by the stage; its queries stay for the
 * dedup-lookup benchmark until it is ported.
 */
import { and, asc, between, eq, gt, gte, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articleDedupKeys, articles, storyClusters } from '../schema/index.ts';
import { arrayLiteral } from './articles.ts';
import type { ArticleRow } from './articles.ts';

/**
 * The articles not yet assigned to a story, oldest first (by time, then id): their ids only, and the time of
 * the first and the last. A flood of 100,000 items is 800 kB of ids here, not 100,000 rows with their texts:
 * the stage reads the texts a batch at a time (`unclusteredArticles`).
 */
export async function listUnclusteredIds(db: Db): Promise<{ ids: number[]; first: Date; last: Date } | null> {
  const rows = await db
    .select({ id: articles.id, effectiveAt: articles.effectiveAt })
    .from(articles)
    .where(isNull(articles.clusterId))
    .orderBy(asc(articles.effectiveAt), asc(articles.id));
  if (rows.length === 0) return null;
  return { ids: rows.map((r) => r.id), first: rows[0]!.effectiveAt, last: rows[rows.length - 1]!.effectiveAt };
}

/** What the stage reads of an article to deduplicate. */
export type UnclusteredArticle = Pick<ArticleRow, 'id' | 'title' | 'summary' | 'content' | 'effectiveAt'>;

/**
 * The articles of `ids` that are still without a story, in the order of `ids` (one query by primary key): a
 * batch of `listUnclusteredIds`.
 */
export async function unclusteredArticles(db: Db, ids: readonly number[]): Promise<UnclusteredArticle[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({
      id: articles.id,
      title: articles.title,
      summary: articles.summary,
      content: articles.content,
      effectiveAt: articles.effectiveAt,
    })
    .from(articles)
    .where(and(sql`${articles.id} = any(${sql.param([...ids])}::bigint[])`, isNull(articles.clusterId)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** What the dedup stage stores of an article's fingerprint (`dedup/keys.ts`, `dedup/simhash.ts`). */
export interface DedupFeatures {
  /** Stored signed (`toSigned64`). */
  simhash: bigint;
  bands: [number, number, number, number];
  /** Significant numbers, sorted. */
  numbers: string[];
  /** `storedKeys` of the fingerprint. */
  keys: number[];
}

/**
 * Replaces an article's stored dedup fingerprint and index keys (re-fingerprinting after the features
 * change; the stage stores a new article's with its story: `assignStories`).
 */
export async function setDedupFeatures(db: Db, id: number, f: DedupFeatures): Promise<void> {
  await db
    .update(articles)
    .set({ ...featureColumns(f), dedupKeys: sortedKeys(f.keys) })
    .where(eq(articles.id, id));
}

function featureColumns(f: DedupFeatures) {
  return {
    simhash: f.simhash,
    band0: f.bands[0],
    band1: f.bands[1],
    band2: f.bands[2],
    band3: f.bands[3],
    dedupNumbers: f.numbers,
  };
}

/** Keys as stored: distinct, ascending. */
const sortedKeys = (keys: readonly number[]) => [...new Set(keys)].sort((x, y) => x - y);

/** An integer[] literal of keys (one text parameter per article, cast in SQL). */
const keysLiteral = (keys: readonly number[]) => `{${sortedKeys(keys).join(',')}}`;

/**
 * Clustered articles of [from, to] without index keys (stored before `dedup_keys` existed, or their keys were
 * dropped by a migration that changed them), oldest first, at most `limit`: the dedup stage re-keys them before looking up newcomers. Every
 * fingerprinted article has keys (its four SimHash bands at least), so "no keys" means "not keyed".
 */
export async function listUnkeyed(db: Db, from: Date, to: Date, limit = 5000): Promise<DedupCandidate[]> {
  return db
    .select({
      id: articles.id,
      title: articles.title,
      content: articles.content,
      summary: articles.summary,
      effectiveAt: articles.effectiveAt,
      clusterId: articles.clusterId,
    })
    .from(articles)
    .where(and(isNotNull(articles.clusterId), between(articles.effectiveAt, from, to), isNull(articles.dedupKeys)))
    .orderBy(asc(articles.effectiveAt), asc(articles.id))
    .limit(limit);
}

/** Stores the index keys of articles that have none (`listUnkeyed`), in one statement. */
export async function addDedupKeys(db: Db, entries: { id: number; keys: number[] }[]): Promise<void> {
  if (entries.length === 0) return;
  const ids = entries.map((e) => e.id);
  await db.execute(sql`update ${articles} a set dedup_keys = v.keys::integer[]
    from unnest(${sql.param(ids)}::bigint[], ${sql.param(entries.map((e) => keysLiteral(e.keys)))}::text[]) as v(id, keys)
    where a.id = any(${sql.param(ids)}::bigint[]) and a.id = v.id`);
}

/** The index keys stored for an article, ascending (tests, diagnostics). */
export async function listDedupKeys(db: Db, id: number): Promise<number[]> {
  const [row] = await db.select({ keys: articles.dedupKeys }).from(articles).where(eq(articles.id, id));
  return row?.keys ?? [];
}

/** A clustered article of a window as the stage's in-memory index holds it (`windowKeys`). */
export interface WindowArticle {
  id: number;
  effectiveAt: Date;
  clusterId: number;
  /** Stored signed (`toSigned64`). */
  simhash: bigint;
  keys: number[];
}

/**
 * The clustered, keyed articles dated in [from, to] — or in (from, to] with `after` — with their story,
 * SimHash and index keys, oldest first (then by id): one range of the time index, whatever the number of
 * keys. The dedup stage reads its window once per run with it (`dedup/lookup.ts`).
 */
export async function windowKeys(
  db: Db,
  from: Date,
  to: Date,
  opts: { after?: boolean } = {},
): Promise<WindowArticle[]> {
  const rows = await db
    .select({
      id: articles.id,
      effectiveAt: articles.effectiveAt,
      clusterId: articles.clusterId,
      simhash: articles.simhash,
      keys: articles.dedupKeys,
    })
    .from(articles)
    .where(
      and(
        opts.after ? gt(articles.effectiveAt, from) : gte(articles.effectiveAt, from),
        lte(articles.effectiveAt, to),
        isNotNull(articles.clusterId),
        isNotNull(articles.dedupKeys),
      ),
    )
    .orderBy(asc(articles.effectiveAt), asc(articles.id));
  return rows.map((r) => ({ ...r, clusterId: r.clusterId!, keys: r.keys! }));
}

/**
 * A near-duplicate candidate: what the decision needs to re-read the article, and — from a lookup — its
 * stored SimHash (signed) and which of the newcomer's keys it shares.
 */
export interface DedupCandidate {
  id: number;
  title: string;
  content: string | null;
  summary: string | null;
  effectiveAt: Date;
  clusterId: number | null;
  simhash?: bigint;
  matched?: number[];
}

/**
 * A segment of a candidate lookup: newcomers' `dedupKeys` — their text keys (anchors, number pairs) and their
 * band keys apart — and the time range their windows cover.
 */
export interface KeySegment {
  textKeys: number[];
  bandKeys: number[];
  from: Date;
  to: Date;
}

/** What the decision re-reads of an article. */
export interface ArticleText {
  id: number;
  title: string;
  content: string | null;
  summary: string | null;
}

/**
 * A stored article found by its dedup keys (`findKeyedArticles`): its SimHash (signed), story, time, the keys
 * it shares, and its text when it shares a text key.
 */
export interface KeyedArticle {
  id: number;
  effectiveAt: Date;
  clusterId: number;
  simhash: bigint;
  matched: number[];
  text: ArticleText | null;
  /** The matched keys that were sampled (more postings in the segment than `KeySampling.rare`). */
  frequent: number[];
}

const ph = (name: string) => sql.placeholder(name);

/**
 * The candidate query, with placeholders: for each segment of the lookup (a time range and its two slices of
 * the keys array, text keys and band keys), one index-only range scan per key — a descent to `(key, from)`,
 * then to `(key, to)` —, grouped by article with the keys it carries, then the articles' story and SimHash
 * by primary key, and the text of those that carry a text key (an anchor or a number pair: the candidates
 * whose text the decision will read). Band-only matches come without text: most are chance collisions of a
 * 16-bit band, and the stage asks for the text of the few that are not (`articleTexts`).
 */
function candidatesQuery(db: Db) {
  const keys = sql`${ph('keys')}::integer[]`;
  // A key's postings in the segment: all of them when they are at most `rare`, else only the `sample` latest,
  // flagged frequent — a key that a whole template carries is never read in full (`dedup/postings.ts`). A
  // backward index-only scan that stops after `rare` + 1 postings.
  const postings = (key: SQL) => sql`select article_id, frequent from (
      select d.article_id, row_number() over () as rn, count(*) over () > ${ph('rare')}::integer as frequent from (
        select article_id from ${articleDedupKeys} where key = ${key} and effective_at between s.lo and s.hi
        order by effective_at desc, article_id desc limit ${ph('rare')}::integer + 1) d) x
    where not frequent or rn <= ${ph('sample')}::integer`;
  const m = db
    .select({
      articleId: sql<number>`k.article_id`.as('article_id'),
      matched: sql<number[]>`array_agg(distinct k.key)`.as('matched'),
      withText: sql<boolean>`bool_or(k.text)`.as('with_text'),
      frequent: sql<number[]>`coalesce(array_agg(distinct k.key) filter (where k.frequent), '{}')`.as('frequent'),
    })
    .from(
      sql`unnest(${ph('from')}::timestamptz[], ${ph('to')}::timestamptz[], ${ph('textFirst')}::integer[], ${ph('textLast')}::integer[],
        ${ph('bandFirst')}::integer[], ${ph('bandLast')}::integer[]) as s(lo, hi, ti, tj, bi, bj)
      cross join lateral (
        select q.key, p.article_id, true as text, p.frequent from unnest((${keys})[s.ti:s.tj]) as q(key) cross join lateral (${postings(sql`q.key`)}) p
        union all
        select q.key, p.article_id, false, p.frequent from unnest((${keys})[s.bi:s.bj]) as q(key) cross join lateral (${postings(sql`q.key`)}) p) k`,
    )
    .groupBy(sql`k.article_id`)
    .as('m');
  const ifText = <T>(column: unknown) => sql<T | null>`case when ${m.withText} then ${column} end`;
  return db
    .select({
      id: articles.id,
      effectiveAt: articles.effectiveAt,
      clusterId: sql<number>`${articles.clusterId}`.mapWith(Number),
      simhash: articles.simhash,
      matched: m.matched,
      title: ifText<string>(articles.title),
      content: ifText<string>(articles.content),
      summary: ifText<string>(articles.summary),
      withText: m.withText,
      frequent: m.frequent,
    })
    .from(m)
    .innerJoin(articles, eq(articles.id, m.articleId))
    .where(isNotNull(articles.clusterId));
}

/** How many postings of one key a lookup reads (`findKeyedArticles`). */
export interface KeySampling {
  /** A key with at most this many postings in a segment gives them all. @defaultValue all */
  rare?: number;
  /** A key with more gives only this many, its latest, and is listed in `KeyedArticle.frequent`. @defaultValue 8 */
  sample?: number;
}

function lookupValues(segments: readonly KeySegment[], sampling: KeySampling) {
  // Seven array parameters whatever the number of segments: the keys of every segment in one array, each
  // segment's slices of it (text keys, band keys) by 1-based bounds.
  const keys: number[] = [];
  const v = {
    textFirst: [] as number[],
    textLast: [] as number[],
    bandFirst: [] as number[],
    bandLast: [] as number[],
  };
  for (const g of segments) {
    v.textFirst.push(keys.length + 1);
    keys.push(...g.textKeys);
    v.textLast.push(keys.length);
    v.bandFirst.push(keys.length + 1);
    keys.push(...g.bandKeys);
    v.bandLast.push(keys.length);
  }
  return {
    keys,
    ...v,
    from: segments.map((g) => g.from.toISOString()),
    to: segments.map((g) => g.to.toISOString()),
    rare: sampling.rare ?? 2_147_483_646,
    sample: sampling.sample ?? 8,
  };
}

/**
 * The planner settings of the candidate query (`SET LOCAL`, in its own transaction). Each key's postings
 * must be read by a backward scan of the primary key that stops after `rare` + 1 postings. With statistics
 * that lag behind the table — always on PGlite, which has no autovacuum, and on PostgreSQL while a flood of
 * new articles outruns autoanalyze — the planner estimates a few postings per key and prefers a bitmap scan
 * of all of the key's postings in the window, then a sort: for a key that a whole feed's items carry, every
 * batch read every earlier item of the feed (work growing with the pile: 620 ms against 185 ms per batch at
 * 20,000 items on PostgreSQL, far worse later). No bitmap scans: the only plans left read the index in order.
 */
const CANDIDATE_PLAN = sql`set local enable_bitmapscan = off`;

/**
 * Former lookup of the stage, on `article_dedup_keys` (kept for the dedup-lookup benchmark until it is ported;
 * the stage reads `windowKeys` once per run instead). The clustered articles that carry a key of a segment
 * within the segment's time range (keys: SimHash bands
 * — every pair within 3 bits shares one —, anchor sentences, number pairs), each with the keys it carries,
 * and its text when one of them is a text key. The stage asks once for a whole batch of newcomers
 * (`dedup/lookup.ts`, `keySegments`). Index range scans, in order, through a prepared statement
 * (`CANDIDATE_PLAN`). A key carried by more than `sampling.rare` articles of a segment gives only its
 * `sampling.sample` latest (the stage's bound on a key that a template carries).
 */
export async function findKeyedArticles(
  db: Db,
  segments: readonly KeySegment[],
  sampling: KeySampling = {},
): Promise<KeyedArticle[]> {
  if (segments.length === 0) return [];
  const values = lookupValues(segments, sampling);
  const rows = await db.transaction(async (tx) => {
    await tx.execute(CANDIDATE_PLAN);
    return candidatesQuery(tx as unknown as Db)
      .prepare('finrep_dedup_candidates')
      .execute(values);
  });
  return rows.map(({ title, content, summary, withText, ...r }) => ({
    ...r,
    text: withText ? { id: r.id, title: title ?? '', content, summary } : null,
  }));
}

/** Title and text of the given articles (in no particular order): what the near-duplicate decision re-reads. */
export async function articleTexts(db: Db, ids: readonly number[]): Promise<ArticleText[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: articles.id, title: articles.title, content: articles.content, summary: articles.summary })
    .from(articles)
    .where(sql`${articles.id} = any(${sql.param([...ids])}::bigint[])`);
}

/** The query plan of `findKeyedArticles` (`EXPLAIN`, optionally `ANALYZE`), one line per row: for tests and benchmarks. */
export async function explainKeyedArticles(
  db: Db,
  q: readonly KeySegment[],
  opts: { analyze?: boolean } & KeySampling = {},
): Promise<string[]> {
  const { sql: text, params } = candidatesQuery(db).toSQL();
  const values: Record<string, unknown> = lookupValues(q, opts);
  const inlined = text.replace(/\$(\d+)/g, (_m, i: string) =>
    literal(values[(params[Number(i) - 1] as { name: string }).name]),
  );
  const result = await db.transaction(async (tx) => {
    await tx.execute(CANDIDATE_PLAN);
    return tx.execute(sql.raw(`explain ${opts.analyze ? '(analyze, buffers) ' : ''}${inlined}`));
  });
  const rows = (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) as Record<
    string,
    unknown
  >[];
  return rows.map((r) => String(Object.values(r)[0]));
}

function literal(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `'{${v.join(',')}}'`;
  if (v instanceof Date) return `'${v.toISOString()}'`;
  return `'${String(v).replace(/'/g, "''")}'`;
}

/**
 * One article's place as the dedup stage decided it: a new story of its own (`story: 'new'`), or the story
 * `clusterId` — a stored story's id, or, as `-representativeId`, a story started by an earlier article of the
 * same call.
 */
export interface StoryAssignment {
  article: Pick<UnclusteredArticle, 'id' | 'title' | 'effectiveAt'>;
  story: 'new' | number;
  features: DedupFeatures;
}

/**
 * Stores a batch of dedup decisions in one transaction and a fixed number of statements, whatever the batch's
 * size: the new stories (one insert), every article's story, fingerprint and index keys (one update from
 * arrays, driven by the primary key), and the size, article count and last time of the stories that gained
 * articles (one update). Each article is deduplicated completely or not at all, like the whole batch. Returns
 * the id of the story each article joined, in order. A story started earlier in the same run is named
 * `-representativeId` and resolved through `started` (which this call fills with the stories it creates).
 *
 * @example await assignStories(db, [{ article, story: 'new', features }])
 */
export async function assignStories(
  db: Db,
  batch: readonly StoryAssignment[],
  started: Map<number, number> = new Map(),
): Promise<number[]> {
  if (batch.length === 0) return [];
  return db.transaction(async (tx) => {
    const fresh = batch.filter((b) => b.story === 'new').map((b) => b.article);
    const created =
      fresh.length === 0
        ? []
        : rowsOf<{ id: string | number; representative_id: string | number }>(
            await tx.execute(sql`
      insert into ${storyClusters} (representative_id, title, size, article_count, first_seen_at, last_seen_at)
      select r, t, 1, 1, at, at from unnest(${sql.param(fresh.map((a) => a.id))}::bigint[], ${sql.param(fresh.map((a) => a.title))}::text[],
        ${sql.param(fresh.map((a) => a.effectiveAt.toISOString()))}::timestamptz[]) as v(r, t, at)
      returning id, representative_id`),
          );
    for (const r of created) started.set(Number(r.representative_id), Number(r.id));
    const clusterOf = (b: StoryAssignment) => {
      const story = b.story === 'new' ? started.get(b.article.id) : b.story < 0 ? started.get(-b.story) : b.story;
      if (story === undefined) throw new Error(`dedup: article ${b.article.id} joins a story that was never stored`);
      return story;
    };
    const ids = batch.map(clusterOf);
    const f = batch.map((b) => b.features);
    const articleIds = batch.map((b) => b.article.id);
    // `a.id = any(...)`: the rows by primary key. Joined with the arrays alone, the update is planned (with
    // statistics behind the table: PGlite has no autovacuum) as a hash join over a scan of every article,
    // and each batch of a flood read the whole feed again.
    await tx.execute(sql`
      update ${articles} a set cluster_id = v.cluster_id, simhash = v.simhash, band0 = v.b0, band1 = v.b1, band2 = v.b2, band3 = v.b3,
        dedup_numbers = v.numbers::text[], dedup_keys = v.keys::integer[]
      from unnest(${sql.param(articleIds)}::bigint[], ${sql.param(ids)}::bigint[],
        ${sql.param(f.map((x) => x.simhash.toString()))}::bigint[], ${sql.param(f.map((x) => x.bands[0]))}::integer[],
        ${sql.param(f.map((x) => x.bands[1]))}::integer[], ${sql.param(f.map((x) => x.bands[2]))}::integer[],
        ${sql.param(f.map((x) => x.bands[3]))}::integer[], ${sql.param(f.map((x) => arrayLiteral(x.numbers)))}::text[],
        ${sql.param(f.map((x) => keysLiteral(x.keys)))}::text[])
        as v(id, cluster_id, simhash, b0, b1, b2, b3, numbers, keys)
      where a.id = any(${sql.param(articleIds)}::bigint[]) and a.id = v.id`);
    const grown = [...new Set(batch.filter((b) => b.story !== 'new').map(clusterOf))];
    if (grown.length > 0) {
      await tx.execute(sql`
        update ${storyClusters} c set size = s.sources, article_count = s.n, last_seen_at = s.last
        from (select cluster_id, count(distinct source_id)::int as sources, count(*)::int as n, max(effective_at) as last from ${articles}
          where cluster_id = any(${sql.param(grown)}::bigint[]) group by cluster_id) s
        where c.id = s.cluster_id`);
    }
    return ids;
  });
}

function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}
