/**
 * The console's articles pages: search, a story with its members, the period's keywords (a company's stories:
 * `console-companies.ts`).
 *
 * Search for Chinese uses **bigrams** (pg_bigm's idea in plain SQL), not pg_trgm and not jieba tokens:
 * migrations 0009–0010 index `finrep_bigrams(finrep_search_text(title, summary))` — the two-character
 * pieces of the lower-cased title and summary head — with GIN. A query of two or more characters must contain
 * all its bigrams (`@>`, from the index), then its exact substring (`strpos`, the recheck).
 * - pg_trgm cannot use its index for a query under three characters, and most Chinese words are two (降准,
 *   央行, 茅台): the commonest search would scan every row. It is also an extension PGlite must load in its
 *   thread, and one a production database user must be allowed to create.
 * - jieba tokens find only what jieba segmented as a word: 银行 misses 人民银行 when that is one token, and
 *   the tokens must be written by the collect stage with every article. Bigrams are substring search, filled
 *   by PostgreSQL itself on both PGlite and PostgreSQL 15, with no extension and no stage involved.
 * One-character queries have no bigram: they scan (within the other filters) with the same `strpos`.
 * The price is paid at insert: the bigrams of each article (~0.1–0.4 ms on 2 busy cores) and its GIN entries.
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Extraction } from '../../domain.ts';
import type { Db } from '../client.ts';

/** Rows of `db.execute` (node-postgres answers `{ rows }`, some drivers an array). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** What the articles page filters by; every field optional. */
export interface ArticleFilters {
  q?: string;
  /** Instants: [from, to). */
  from?: Date;
  to?: Date;
  sourceId?: number;
  category?: string;
  sentiment?: string;
  /** A ticker (`600519.SH`) or a company name, as the extraction wrote it. */
  company?: string;
}

/** One row of the articles page. */
export interface ArticleHit {
  id: number;
  title: string;
  url: string;
  at: Date;
  sourceId: number;
  sourceName: string;
  clusterId: number | null;
  storySize: number | null;
  category: string | null;
  sentiment: string | null;
}

/** The story facts (latest extraction of any member) of article `a`, for the list's columns. */
const FACTS = sql`left join lateral (
    select e.result from articles m join extractions e on e.article_id = m.id
    where m.cluster_id = a.cluster_id order by e.id desc limit 1
  ) x on true`;

/** The query as finrep_search_text folds the text (whitespace runs to one space, lower case), or null. */
const folded = (q: string | undefined) => q?.trim().replace(/\s+/g, ' ').toLowerCase() || null;

/**
 * The conditions of `f` on article `a`: `range` those of the time index's walk (dates, source), `rest` the
 * others (text, facts, company). `bigrams` adds the index's condition to the text's; a walk over the newest
 * rows leaves it out (the substring implies it, and computing an article's bigrams costs more than finding it).
 */
function whereOf(f: ArticleFilters, bigrams: boolean): { range: SQL; rest: SQL } {
  const range: SQL[] = [sql`true`];
  const rest: SQL[] = [sql`true`];
  const q = folded(f.q);
  if (q) {
    if (bigrams && [...q.replace(/\s+/g, '')].length >= 2)
      rest.push(sql`finrep_bigrams(finrep_search_text(a.title, a.summary)) @> finrep_bigrams(${q}::text)`);
    rest.push(sql`strpos(finrep_search_text(a.title, a.summary), ${q}::text) > 0`);
  }
  if (f.from) range.push(sql`a.effective_at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) range.push(sql`a.effective_at < ${f.to.toISOString()}::timestamptz`);
  if (f.sourceId !== undefined) range.push(sql`a.source_id = ${f.sourceId}`);
  // The story's facts, all conditions on one extraction: one semi-join however many are set.
  const facts = factsOf(f);
  if (facts.length > 0)
    rest.push(sql`a.cluster_id in (select m.cluster_id from extractions e join articles m on m.id = e.article_id
      where ${sql.join(facts, sql` and `)})`);
  // The stories naming the company, from its range of `company_mentions` (console-companies.ts).
  if (f.company) rest.push(sql`a.cluster_id in (select story_id from company_mentions where company = ${f.company})`);
  return { range: sql.join(range, sql` and `), rest: sql.join(rest, sql` and `) };
}

/** The conditions of `f` on the facts (extraction `e`): category and sentiment. */
function factsOf(f: ArticleFilters): SQL[] {
  const facts: SQL[] = [];
  if (f.category) facts.push(sql`e.result ->> 'category' = ${f.category}`);
  if (f.sentiment) facts.push(sql`e.result ->> 'sentiment' = ${f.sentiment}`);
  return facts;
}

/** At most this many matches are counted; the page then says "1,000+". */
export const COUNT_CAP = 1000;

/**
 * How many articles match `f`, at most `COUNT_CAP + 1`. Filtered by facts alone, the articles in a story whose
 * own extraction matches (distinct, from `extractions_category_idx` or `_sentiment_idx`, ~3 ms) are counted first:
 * they all match, so past the cap that is the answer. Counting the stories' members instead joins every matching
 * extraction to its article before the first is counted (4,762 for negative company news of 100,000: ~180 ms);
 * it is left for a rarer filter, whose few extractions it joins quickly.
 */
async function countMatches(db: Db, f: ArticleFilters): Promise<number> {
  const facts = factsOf(f);
  const n = async (q: SQL) => Number(rowsOf<{ n: number }>(await db.execute(q))[0]?.n ?? 0);
  if (facts.length > 0 && !folded(f.q) && !f.from && !f.to && f.sourceId === undefined && !f.company) {
    const own = await n(sql`select count(*)::int as n from (select distinct e.article_id from extractions e
      where ${sql.join(facts, sql` and `)} and exists (select 1 from articles a where a.id = e.article_id
        and a.cluster_id is not null) limit ${COUNT_CAP + 1}) t`);
    if (own > COUNT_CAP) return own;
  }
  const { range, rest } = whereOf(f, true);
  return n(sql`select count(*)::int as n from (select 1 from articles a where ${range} and ${rest}
    limit ${COUNT_CAP + 1}) t`);
}

/**
 * A text search first walks this many newest articles (per article of the page and those before it, at most
 * `RECENT_MAX`) by the time index, testing the substring alone: a common word (贵州茅台 in every tenth title)
 * fills its page there in ~2 ms, where the bigram index hands over all its 10,000 matches to be read, tested and
 * sorted (~110 ms warm). A page not filled there is asked of the index: a rarer word, few matches.
 */
const RECENT_PER_ROW = 20;
const RECENT_MAX = 5000;

/** The columns of a page of ids (`page`), newest first. */
const columnsOf = (page: SQL) => sql`
  with page as (${page})
  select a.id, a.title, a.url, a.effective_at, a.source_id, s.name as source_name, a.cluster_id,
    c.article_count as story_size, x.result ->> 'category' as category, x.result ->> 'sentiment' as sentiment
  from page join articles a on a.id = page.id join sources s on s.id = a.source_id
  left join story_clusters c on c.id = a.cluster_id
  ${FACTS}
  order by a.effective_at desc, a.id desc`;

/** The rows of page `offset / pageSize` of `f`: among the newest articles when a text search fills it there. */
async function pageRows(db: Db, f: ArticleFilters, offset: number, pageSize: number) {
  const window = RECENT_PER_ROW * (offset + pageSize);
  if (folded(f.q) && window <= RECENT_MAX) {
    const walked = whereOf(f, false);
    const recent = rowsOf<Record<string, unknown>>(
      await db.execute(
        columnsOf(sql`
          select a.id from (
            select a.id, a.effective_at, a.title, a.summary, a.cluster_id from articles a where ${walked.range}
            order by a.effective_at desc, a.id desc limit ${window}
          ) a where ${walked.rest}
          order by a.effective_at desc, a.id desc limit ${pageSize} offset ${offset}`),
      ),
    );
    // A page filled among the newest articles is the page: they are the newest of all that match.
    if (recent.length === pageSize) return recent;
  }
  const indexed = whereOf(f, true);
  return rowsOf<Record<string, unknown>>(
    await db.execute(
      columnsOf(sql`
        select a.id from articles a where ${indexed.range} and ${indexed.rest}
        order by a.effective_at desc, a.id desc limit ${pageSize} offset ${offset}`),
    ),
  );
}

/**
 * A page of articles matching `f`, newest first, and how many match (at most `COUNT_CAP + 1`).
 * @example await searchArticles(db, { q: '降准', category: 'macro' }, 1, 50)
 */
export async function searchArticles(
  db: Db,
  f: ArticleFilters,
  page: number,
  pageSize: number,
): Promise<{ rows: ArticleHit[]; total: number }> {
  const [list, total] = await Promise.all([pageRows(db, f, (page - 1) * pageSize, pageSize), countMatches(db, f)]);
  const rows = list.map((r) => ({
    id: Number(r.id),
    title: String(r.title),
    url: String(r.url),
    at: toDate(r.effective_at)!,
    sourceId: Number(r.source_id),
    sourceName: String(r.source_name),
    clusterId: r.cluster_id === null ? null : Number(r.cluster_id),
    storySize: r.story_size === null ? null : Number(r.story_size),
    category: (r.category as string | null) ?? null,
    sentiment: (r.sentiment as string | null) ?? null,
  }));
  return { rows, total };
}

/** Sources for the filter's list: id and name, by name. */
export async function sourceOptions(db: Db): Promise<{ id: number; name: string }[]> {
  const rows = rowsOf<{ id: number; name: string }>(await db.execute(sql`select id, name from sources order by name`));
  return rows.map((r) => ({ id: Number(r.id), name: String(r.name) }));
}

/** A member article of a story. */
export interface StoryMember {
  id: number;
  title: string;
  url: string;
  at: Date;
  sourceName: string;
}

/** A story (cluster), its member articles oldest first, and its facts (the latest extraction of any member). */
export interface StoryDetail {
  id: number;
  title: string;
  sources: number;
  articleCount: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  representativeId: number | null;
  members: StoryMember[];
  facts: { provider: string; model: string; result: Extraction } | null;
}

/** One story with its members and facts, or null. */
export async function getStory(db: Db, id: number): Promise<StoryDetail | null> {
  const [c] = rowsOf<Record<string, unknown>>(await db.execute(sql`select * from story_clusters where id = ${id}`));
  if (!c) return null;
  const members = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select a.id, a.title, a.url, a.effective_at, s.name as source_name
      from articles a join sources s on s.id = a.source_id
      where a.cluster_id = ${id} order by a.effective_at, a.id limit 500`),
  );
  const [f] = rowsOf<{ provider: string; model: string; result: Extraction | string }>(
    await db.execute(sql`
      select e.provider, e.model, e.result from extractions e join articles m on m.id = e.article_id
      where m.cluster_id = ${id} order by e.id desc limit 1`),
  );
  return {
    id,
    title: String(c.title),
    sources: Number(c.size),
    articleCount: Number(c.article_count),
    firstSeenAt: toDate(c.first_seen_at)!,
    lastSeenAt: toDate(c.last_seen_at)!,
    representativeId: c.representative_id === null ? null : Number(c.representative_id),
    members: members.map((m) => ({
      id: Number(m.id),
      title: String(m.title),
      url: String(m.url),
      at: toDate(m.effective_at)!,
      sourceName: String(m.source_name),
    })),
    facts: f ? { provider: f.provider, model: f.model, result: jsonOf<Extraction>(f.result) } : null,
  };
}

/** jsonb as the driver gives it: parsed already (node-postgres, PGlite) or text. */
function jsonOf<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/**
 * The keywords of the facts of stories with an article in [from, to), each weighted by the number of stories
 * naming it, heaviest first.
 */
export async function periodKeywords(
  db: Db,
  from: Date,
  to: Date,
  limit = 150,
): Promise<{ word: string; stories: number }[]> {
  const rows = rowsOf<{ word: string; n: number }>(
    await db.execute(sql`
      select k.word, count(distinct a.cluster_id)::int as n
      from articles a join extractions e on e.article_id = a.id
      cross join lateral jsonb_array_elements_text(e.result -> 'keywords') k(word)
      where a.effective_at >= ${from.toISOString()}::timestamptz and a.effective_at < ${to.toISOString()}::timestamptz
        and a.cluster_id is not null and length(k.word) between 1 and 40
      group by k.word order by n desc, k.word limit ${limit}`),
  );
  return rows.map((r) => ({ word: r.word, stories: Number(r.n) }));
}

/** The newest extraction's id (0 with none): what the word cloud's cache is keyed by (a new one may change it). */
export async function newestExtractionId(db: Db): Promise<number> {
  const [r] = rowsOf<{ id: number | string | null }>(await db.execute(sql`select max(id) as id from extractions`));
  return Number(r?.id ?? 0);
}
