/**
 * What an edition run of the benchmark left behind, read from its database and the SMTP server: counts,
 * the `run_stages` rows, how the clusters match the world's ground truth, and the exactly-once checks
 * (no article stored twice by canonical URL, no report item twice, one delivery row and at most one
 * received message per recipient).
 */
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';

async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

export interface StageRow {
  run_id: number;
  stage: string;
  status: string;
  start_offset_ms: number;
  duration_ms: number | null;
  error: string | null;
}

export interface EditionCheck {
  edition_status: string | null;
  runs: { id: number; status: string; trigger: string; wall_ms: number | null }[];
  /** One row per stage and run, offsets from the first run's start (stages may overlap when pipelined). */
  run_stages: StageRow[];
  /** Per source kind, from `source_fetches`: how long one source took (a dynamic one includes its renders). */
  collect_by_kind: Record<string, { fetches: number; failed: number; items: number; avg_ms: number; max_ms: number }>;
  articles: {
    stored: number;
    distinct_canonical_urls: number;
    duplicated_canonical_urls: number;
    unclustered: number;
    expected: number;
  };
  stories: { clusters: number; expected: number; stories_split: number; clusters_merged: number; unknown_urls: number };
  extractions: number;
  report_items: { count: number; duplicated_articles: number; duplicated_ranks: number };
  delivery_log: { rows: number; distinct_recipients: number; by_status: Record<string, number> };
  mail: {
    recipients: number;
    received: number;
    recipients_received: number;
    recipients_missing: number;
    recipients_duplicated: number;
    max_per_recipient: number;
    recipients_missing_uncertain: number;
  };
  /** Every exactly-once condition held. */
  ok: boolean;
  problems: string[];
}

/** Reads and checks one edition. `received` are the RCPT addresses of the messages the SMTP server accepted. */
export async function checkEdition(
  db: Db,
  o: {
    date: string;
    storyOfUrl: Map<string, string>;
    expectedArticles: number;
    expectedStories: number;
    recipients: string[];
    received: string[];
  },
): Promise<EditionCheck> {
  const [edition] = await rows<{ id: number; status: string }>(
    db,
    sql`select id, status from editions where date = ${o.date}`,
  );
  const editionId = edition?.id ?? -1;
  const runs = await rows<{ id: number; status: string; trigger: string; started: string; finished: string | null }>(
    db,
    sql`
    select id, status, trigger, started_at::text as started, finished_at::text as finished from runs where edition_id = ${editionId} order by id`,
  );
  const stages = await rows<{
    run_id: number;
    stage: string;
    status: string;
    started: string;
    duration_ms: number | null;
    error: string | null;
  }>(
    db,
    sql`
    select s.run_id, s.stage, s.status, s.started_at::text as started, s.duration_ms, s.error
    from run_stages s join runs r on r.id = s.run_id where r.edition_id = ${editionId} order by s.started_at, s.id`,
  );
  const t0 = runs[0] ? Date.parse(runs[0].started) : 0;
  const byKind = await rows<{
    kind: string;
    fetches: number;
    failed: number;
    items: number;
    avg_ms: number;
    max_ms: number;
  }>(
    db,
    sql`
    select s.kind, count(*)::int as fetches, count(*) filter (where f.status = 'failed')::int as failed, coalesce(sum(f.items), 0)::int as items,
      round(avg(f.duration_ms))::int as avg_ms, max(f.duration_ms)::int as max_ms
    from source_fetches f join sources s on s.id = f.source_id join runs r on r.id = f.run_id
    where r.edition_id = ${editionId} group by 1 order by 1`,
  );

  const [art] = await rows<{ n: number; urls: number; unclustered: number }>(
    db,
    sql`
    select count(*)::int as n, count(distinct canonical_url)::int as urls, count(*) filter (where cluster_id is null)::int as unclustered from articles`,
  );
  const [dupUrls] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select canonical_url from articles group by 1 having count(*) > 1) d`,
  );
  const clusterRows = await rows<{ url: string; cluster_id: number | null }>(
    db,
    sql`select url, cluster_id from articles`,
  );
  const clustersOfStory = new Map<string, Set<number>>();
  const storiesOfCluster = new Map<number, Set<string>>();
  let unknown = 0;
  for (const r of clusterRows) {
    const story = o.storyOfUrl.get(r.url);
    if (!story) {
      unknown++;
      continue;
    }
    if (r.cluster_id === null) continue;
    const id = Number(r.cluster_id);
    clustersOfStory.set(story, (clustersOfStory.get(story) ?? new Set()).add(id));
    storiesOfCluster.set(id, (storiesOfCluster.get(id) ?? new Set()).add(story));
  }
  const [ext] = await rows<{ n: number }>(db, sql`select count(*)::int as n from extractions`);
  const [items] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from report_items where edition_id = ${editionId}`,
  );
  const [dupItems] = await rows<{ n: number }>(
    db,
    sql`
    select count(*)::int as n from (select article_id from report_items where edition_id = ${editionId} group by 1 having count(*) > 1) d`,
  );
  const [dupRanks] = await rows<{ n: number }>(
    db,
    sql`
    select count(*)::int as n from (select section, rank from report_items where edition_id = ${editionId} group by 1, 2 having count(*) > 1) d`,
  );
  const [dl] = await rows<{ n: number; recipients: number }>(
    db,
    sql`
    select count(*)::int as n, count(distinct recipient_id)::int as recipients from delivery_log where edition_id = ${editionId}`,
  );
  const statuses = await rows<{ status: string; n: number }>(
    db,
    sql`
    select status, count(*)::int as n from delivery_log where edition_id = ${editionId} group by 1 order by 1`,
  );

  const statusOf = new Map(
    (
      await rows<{ email: string; status: string }>(
        db,
        sql`
    select email, status from delivery_log where edition_id = ${editionId}`,
      )
    ).map((r) => [r.email.toLowerCase(), r.status]),
  );
  const perRecipient = new Map<string, number>();
  for (const to of o.received) perRecipient.set(to.toLowerCase(), (perRecipient.get(to.toLowerCase()) ?? 0) + 1);
  const counts = o.recipients.map((e) => perRecipient.get(e.toLowerCase()) ?? 0);
  const mail = {
    recipients: o.recipients.length,
    received: o.received.length,
    recipients_received: counts.filter((c) => c > 0).length,
    recipients_missing: counts.filter((c) => c === 0).length,
    recipients_duplicated: counts.filter((c) => c > 1).length,
    max_per_recipient: Math.max(0, ...counts),
    // A worker killed after the message data went out leaves the row `uncertain` (never re-sent automatically).
    recipients_missing_uncertain: o.recipients.filter(
      (e, i) => counts[i] === 0 && statusOf.get(e.toLowerCase()) === 'uncertain',
    ).length,
  };
  const check: EditionCheck = {
    edition_status: edition?.status ?? null,
    runs: runs.map((r) => ({
      id: r.id,
      status: r.status,
      trigger: r.trigger,
      wall_ms: r.finished ? Date.parse(r.finished) - Date.parse(r.started) : null,
    })),
    run_stages: stages.map((s) => ({
      run_id: s.run_id,
      stage: s.stage,
      status: s.status,
      start_offset_ms: Date.parse(s.started) - t0,
      duration_ms: s.duration_ms,
      error: s.error,
    })),
    collect_by_kind: Object.fromEntries(byKind.map(({ kind, ...k }) => [kind, k])),
    articles: {
      stored: art?.n ?? 0,
      distinct_canonical_urls: art?.urls ?? 0,
      duplicated_canonical_urls: dupUrls?.n ?? 0,
      unclustered: art?.unclustered ?? 0,
      expected: o.expectedArticles,
    },
    stories: {
      clusters: storiesOfCluster.size,
      expected: o.expectedStories,
      unknown_urls: unknown,
      stories_split: [...clustersOfStory.values()].filter((s) => s.size > 1).length,
      clusters_merged: [...storiesOfCluster.values()].filter((s) => s.size > 1).length,
    },
    extractions: ext?.n ?? 0,
    report_items: { count: items?.n ?? 0, duplicated_articles: dupItems?.n ?? 0, duplicated_ranks: dupRanks?.n ?? 0 },
    delivery_log: {
      rows: dl?.n ?? 0,
      distinct_recipients: dl?.recipients ?? 0,
      by_status: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
    },
    mail,
    ok: true,
    problems: [],
  };
  const problems = check.problems;
  if (check.articles.duplicated_canonical_urls > 0)
    problems.push(`${check.articles.duplicated_canonical_urls} canonical URLs stored more than once`);
  if (check.articles.stored !== o.expectedArticles)
    problems.push(`${check.articles.stored} articles stored, ${o.expectedArticles} published`);
  if (check.report_items.count === 0) problems.push('no report items');
  if (check.report_items.duplicated_articles > 0 || check.report_items.duplicated_ranks > 0)
    problems.push('duplicated report items');
  if (
    check.delivery_log.rows !== o.recipients.length ||
    check.delivery_log.distinct_recipients !== o.recipients.length
  ) {
    problems.push(
      `delivery_log has ${check.delivery_log.rows} rows for ${check.delivery_log.distinct_recipients} recipients (expected one each of ${o.recipients.length})`,
    );
  }
  if (mail.recipients_duplicated > 0)
    problems.push(`${mail.recipients_duplicated} recipients received the edition more than once`);
  const unexplained = mail.recipients_missing - mail.recipients_missing_uncertain;
  if (unexplained > 0)
    problems.push(`${unexplained} recipients received nothing (and their delivery is not marked uncertain)`);
  check.ok = problems.length === 0;
  return check;
}

/**
 * What the world's servers counted: requests to the sites, LLM calls, and mails. Distinct prompts = distinct
 * article texts sent; more requests than that means the same article was extracted more than once (by two
 * workers, or again after a kill). The peak is counted by the fake server as a provider counts it: requests
 * open at once, from arrival to the end of the response.
 */
export function trafficCounts(
  world: { requests: Record<string, number>; peakPerHost: () => number },
  fake: { requests: { lastUser: string }[]; peakInFlight: number },
  smtp: { messages: unknown[]; connections: () => number },
) {
  return {
    requests: { ...world.requests, peak_in_flight_per_host: world.peakPerHost() },
    llm: {
      requests: fake.requests.length,
      distinct_prompts: new Set(fake.requests.map((q) => q.lastUser)).size,
      peak_in_flight: fake.peakInFlight,
    },
    smtp: { messages: smtp.messages.length, connections: smtp.connections() },
  };
}
