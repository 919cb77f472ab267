/**
 * The edition side of `bench/load.ts`: seeding a stack's database with the console benchmark's history,
 * waiting for a run to end, and checking what it left (run status and time, the world's articles stored
 * once, one delivery row and one mail per recipient and edition).
 */
import pg from 'pg';
import { seedConsole } from './console-seed.ts';
import { sleep } from './edition-world-procs.ts';

/**
 * The console benchmark's data (100,000 articles, 30 editions, 10,000 recipients, …) under the stack's own
 * world: its sources and recipients disabled (no edition collects from or mails them), and its articles,
 * stories, extractions, editions and runs moved 40 days back (the edition under test is a day they do not hold,
 * and its window holds the world's news only; the LLM ledger and delivery rows keep their dates). Returns ids for the page routes.
 */
export async function seedHistory(databaseUrl: string): Promise<{ clusterId: number; ticker: string; date: string }> {
  const seeded = await seedConsole(databaseUrl);
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`update sources set enabled = false where key like 'bench-%'`);
    await c.query(`update recipients set enabled = false where email ~ '^r[0-9]+@example\\.com$'`);
    // The whole history, not only the editions' dates: left where the seed puts it (its 100,000 articles over the
    // last 30 days), its last day's ~3,300 stories fell into the window of the edition under test, and their
    // extractions (prompt version 'v1', not the pipeline's) reused by none, so the edition sent every one to the
    // LLM — >420 s of extract at ~4 calls/s, not the world's 40 stories (the edition of ~20 s the chaos trials time).
    await c.query(`update editions set date = date - 40, window_from = window_from - interval '40 days',
      window_to = window_to - interval '40 days', created_at = created_at - interval '40 days',
      composed_at = composed_at - interval '40 days', delivered_at = delivered_at - interval '40 days'`);
    await c.query(`update runs set started_at = started_at - interval '40 days', finished_at = finished_at - interval '40 days'
      where edition_id is not null`);
    await c.query(`update run_stages set started_at = started_at - interval '40 days',
      finished_at = finished_at - interval '40 days'`);
    await c.query(`update articles set published_at = published_at - interval '40 days',
      first_seen_at = first_seen_at - interval '40 days', effective_at = effective_at - interval '40 days'`);
    await c.query(`update story_clusters set first_seen_at = first_seen_at - interval '40 days',
      last_seen_at = last_seen_at - interval '40 days'`);
    await c.query(`update extractions set created_at = created_at - interval '40 days'`);
    await c.query(`update company_mentions set first_seen_at = first_seen_at - interval '40 days'`);
    await c.query('vacuum analyze');
    const { rows } = await c.query<{ d: string }>(`select to_char(max(date), 'YYYY-MM-DD') as d from editions`);
    return { clusterId: seeded.clusterId, ticker: seeded.ticker, date: rows[0]!.d };
  } finally {
    await c.end();
  }
}

/** Waits until every run has ended in the database and stayed so for `stableMs` (a retried job may reopen it). */
export async function waitRunsEnd(
  databaseUrl: string,
  runIds: number[],
  timeoutMs: number,
  stableMs = 3000,
): Promise<Map<number, { status: string; endedAtMs: number }>> {
  const t0 = performance.now();
  const ended = new Map<number, { status: string; endedAtMs: number }>();
  let lastSaid = 0;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    while (performance.now() - t0 < timeoutMs) {
      const { rows } = await c.query<{ id: number; status: string }>('select id, status from runs where id = any($1)', [
        runIds,
      ]);
      const now = performance.now() - t0;
      for (const r of rows) {
        if (r.status === 'running') ended.delete(r.id);
        else if (!ended.has(r.id)) ended.set(r.id, { status: r.status, endedAtMs: Math.round(now) });
      }
      if (ended.size === runIds.length && [...ended.values()].every((e) => now - e.endedAtMs > stableMs)) return ended;
      if (now - lastSaid > 15_000) {
        lastSaid = now;
        const stages = await c.query<{ run_id: number; stage: string; status: string }>(
          'select run_id, stage, status from run_stages where run_id = any($1) order by started_at, id',
          [runIds],
        );
        process.stdout.write(
          `  ${Math.round(now / 1000)} s: ${runIds
            .map(
              (id) =>
                `run ${id} ${rows.find((r) => r.id === id)?.status ?? '?'} (${stages.rows
                  .filter((s) => s.run_id === id)
                  .map((s) => `${s.stage} ${s.status}`)
                  .join(', ')})`,
            )
            .join('; ')}\n`,
        );
      }
      await sleep(250);
    }
    throw new Error(`runs ${runIds.join(', ')} not ended within ${timeoutMs / 1000} s`);
  } finally {
    await c.end();
  }
}

export interface RunCheck {
  run_id: number;
  date: string;
  status: string;
  /** started_at → finished_at of the run, from the database. */
  run_s: number;
  stages_s: Record<string, number>;
  report_items: number;
  delivery_log: Record<string, number>;
}

export interface LoadEditionCheck {
  runs: RunCheck[];
  articles: { expected: number; stored: number; distinct: number; duplicated: number; lost: number };
  mails: { recipients: number; editions: number; received: number; duplicated: number; missing: number };
  ok: boolean;
  problems: string[];
}

/** Reads the runs and checks them: ok, the world's articles stored once, one mail per recipient and edition. */
export async function checkRuns(
  databaseUrl: string,
  o: { runIds: number[]; worldUrls: string[]; recipients: string[]; received: string[] },
): Promise<LoadEditionCheck> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const runs: RunCheck[] = [];
    for (const id of o.runIds) {
      const { rows } = await c.query<{ date: string; status: string; s: number; edition_id: number }>(
        `select e.date::text as date, r.status, extract(epoch from r.finished_at - r.started_at)::float as s, r.edition_id
         from runs r join editions e on e.id = r.edition_id where r.id = $1`,
        [id],
      );
      const run = rows[0]!;
      const stages = await c.query<{ stage: string; ms: number }>(
        'select stage, sum(duration_ms)::int as ms from run_stages where run_id = $1 group by 1 order by min(started_at)',
        [id],
      );
      const items = await c.query<{ n: number }>('select count(*)::int as n from report_items where edition_id = $1', [
        run.edition_id,
      ]);
      const log = await c.query<{ status: string; n: number }>(
        'select status, count(*)::int as n from delivery_log where edition_id = $1 group by 1',
        [run.edition_id],
      );
      runs.push({
        run_id: id,
        date: run.date,
        status: run.status,
        run_s: Math.round(run.s * 10) / 10,
        stages_s: Object.fromEntries(stages.rows.map((r) => [r.stage, Math.round(r.ms / 100) / 10])),
        report_items: items.rows[0]!.n,
        delivery_log: Object.fromEntries(log.rows.map((r) => [r.status, r.n])),
      });
    }
    const art = (
      await c.query<{ n: number; distinct: number }>(
        'select count(*)::int as n, count(distinct canonical_url)::int as distinct from articles where url = any($1)',
        [o.worldUrls],
      )
    ).rows[0]!;
    const perRecipient = new Map<string, number>();
    for (const to of o.received) perRecipient.set(to.toLowerCase(), (perRecipient.get(to.toLowerCase()) ?? 0) + 1);
    const n = o.runIds.length;
    const duplicated = [...perRecipient.values()].filter((k) => k > n).length;
    const missing = o.recipients.filter((r) => (perRecipient.get(r.toLowerCase()) ?? 0) < n).length;
    const problems: string[] = [];
    for (const r of runs) {
      if (r.status !== 'ok') problems.push(`run ${r.run_id} (${r.date}) ended ${r.status}`);
      if ((r.delivery_log.sent ?? 0) !== o.recipients.length)
        problems.push(`run ${r.run_id}: delivery_log ${JSON.stringify(r.delivery_log)}`);
    }
    const lost = o.worldUrls.length - art.distinct;
    if (lost) problems.push(`${lost} articles of the world not stored`);
    if (art.n !== art.distinct) problems.push(`${art.n - art.distinct} articles stored twice`);
    if (duplicated) problems.push(`${duplicated} recipients mailed more than once an edition`);
    if (missing) problems.push(`${missing} recipients missing a mail`);
    return {
      runs,
      articles: {
        expected: o.worldUrls.length,
        stored: art.n,
        distinct: art.distinct,
        duplicated: art.n - art.distinct,
        lost,
      },
      mails: { recipients: o.recipients.length, editions: n, received: o.received.length, duplicated, missing },
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await c.end();
  }
}
