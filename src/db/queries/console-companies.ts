/**
 * The console's company pages: the stories naming a company, its sentiment per day, the company search.
 *
 * A company's stories are read from `company_mentions` (one row per extraction, story and key, kept by
 * triggers — see `src/db/schema/articles.ts`), whose primary key `(company, first_seen_at, story_id,
 * extraction_id)` holds a company's stories in time order: the newest `n` are the first entries of one
 * backward range, and a period's trend is one grouped pass over one range (10,000 entries for a common ticker,
 * ~3 ms) — where the GIN index on `extractions` found the same extractions but had every one of them read and
 * joined to its article and story (~400 ms, `docs/benchmarks-web.md`). A story named by several extractions
 * counts once, with its newest extraction's facts.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';

/** Rows of `db.execute` (node-postgres answers `{ rows }`, some drivers an array). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

/** One story naming a company, with the facts its newest naming extraction gave. */
export interface CompanyStory {
  clusterId: number;
  title: string;
  /** The story's first article. */
  at: Date;
  articleCount: number;
  category: string;
  sentiment: string;
  score: number;
}

/** A company's stories since `since` (by first article), one row each with its newest extraction's facts. */
const storiesOf = (key: string, since: Date) => sql`
  select distinct on (first_seen_at, story_id) story_id, first_seen_at, category, sentiment, score
  from company_mentions where company = ${key} and first_seen_at >= ${since.toISOString()}::timestamptz
  order by first_seen_at desc, story_id desc, extraction_id desc`;

/**
 * The stories since `since` whose facts name the company `key` (a ticker, or a name), newest first, at most
 * `limit`.
 * @example await companyStories(db, '600519.SH', new Date(Date.now() - 90 * 86_400_000), 500)
 */
export async function companyStories(db: Db, key: string, since: Date, limit = 500): Promise<CompanyStory[]> {
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select m.story_id, m.first_seen_at, m.category, m.sentiment, m.score, c.title, c.article_count
      from (${storiesOf(key, since)} limit ${limit}) m
      -- One story by its key per row (a lateral with a limit: a join is planned as a hash of every story).
      cross join lateral (select title, article_count from story_clusters c where c.id = m.story_id limit 1) c
      order by m.first_seen_at desc, m.story_id desc`),
  );
  return rows.map((r) => ({
    clusterId: Number(r.story_id),
    title: String(r.title),
    at: new Date(r.first_seen_at as string),
    articleCount: Number(r.article_count),
    category: String(r.category),
    sentiment: String(r.sentiment),
    score: Number(r.score),
  }));
}

/** One day (in the zone asked) and sentiment of a company's stories: how many, and the sum of their scores. */
export interface CompanyDay {
  date: string;
  sentiment: string;
  stories: number;
  scoreSum: number;
}

/** A company's stories since `since` counted per day (of their first article, in `timeZone`) and sentiment. */
export async function companyDays(db: Db, key: string, since: Date, timeZone: string): Promise<CompanyDay[]> {
  const rows = rowsOf<{ day: string; sentiment: string; n: number; sum: number }>(
    await db.execute(sql`
      select to_char(s.first_seen_at at time zone ${timeZone}, 'YYYY-MM-DD') as day, s.sentiment,
        count(*)::int as n, sum(s.score)::float8 as sum
      from (${storiesOf(key, since)}) s group by 1, 2 order by 1, 2`),
  );
  return rows.map((r) => ({ date: r.day, sentiment: r.sentiment, stories: Number(r.n), scoreSum: Number(r.sum) }));
}

/**
 * The company `key` as the newest extraction naming it writes it (name and ticker), or null when none does.
 * @example await companyName(db, '600519.SH') // { name: '贵州茅台', ticker: '600519.SH' }
 */
export async function companyName(db: Db, key: string): Promise<{ name: string; ticker: string | null } | null> {
  const [r] = rowsOf<{ name: string | null; ticker: string | null }>(
    await db.execute(sql`
      select c ->> 'name' as name, c ->> 'ticker' as ticker
      from (select extraction_id from company_mentions where company = ${key}
        order by first_seen_at desc, story_id desc, extraction_id desc limit 1) m
      join extractions e on e.id = m.extraction_id
      cross join lateral jsonb_array_elements(e.result -> 'entities' -> 'companies') c
      where jsonb_typeof(c) = 'object' and (c ->> 'ticker' = ${key} or c ->> 'name' = ${key})
      limit 1`),
  );
  return r ? { name: r.name ?? key, ticker: r.ticker ?? null } : null;
}

/**
 * Companies whose name or ticker contains `q` (case-insensitive), named by stories first seen since `since`,
 * most named first: `{ name, ticker }` as the newest extraction naming each writes it, and its stories. The
 * distinct keys are walked on `company_mentions`' primary key (one probe per company, not a row per mention);
 * the facts of a year of extractions were unpacked and tested instead (217 ms on the web bench's database).
 * @example await findCompanies(db, '茅台', new Date(Date.now() - 365 * 86_400_000))
 */
export async function findCompanies(
  db: Db,
  q: string,
  since: Date,
  limit = 20,
): Promise<{ name: string; ticker: string | null; stories: number }[]> {
  const needle = q.trim().toLowerCase();
  if (!needle) return [];
  const keys = rowsOf<{ company: string; n: number }>(
    await db.execute(sql`
      with recursive keys(company) as (
        (select company from company_mentions order by company limit 1)
        union all
        select (select m.company from company_mentions m where m.company > k.company order by m.company limit 1)
        from keys k where k.company is not null
      )
      select k.company, (
        select count(*) from (select distinct first_seen_at, story_id from company_mentions m
          where m.company = k.company and m.first_seen_at >= ${since.toISOString()}::timestamptz) s
      )::int as n
      from keys k where k.company is not null and strpos(lower(k.company), ${needle}::text) > 0
      order by n desc, k.company limit ${limit}`),
  );
  // A company found by its ticker and by its name is one row.
  const out = new Map<string, { name: string; ticker: string | null; stories: number }>();
  for (const k of keys) {
    if (Number(k.n) === 0) continue;
    const named = (await companyName(db, k.company)) ?? { name: k.company, ticker: null };
    const id = JSON.stringify([named.name, named.ticker]);
    const seen = out.get(id);
    if (!seen || seen.stories < Number(k.n)) out.set(id, { ...named, stories: Number(k.n) });
  }
  return [...out.values()].sort((x, y) => y.stories - x.stories || x.name.localeCompare(y.name));
}
