/**
 * The edition's dedup stage on one feed's flood (issue 14): 100,000 near-identical items of one source — the
 * same title and summary with a counter, all collected at once — stored as collect stores them
 * (`insertArticles`, unclustered, no fingerprint yet), then deduplicated by the function the pipeline's dedup
 * job calls (`runDedup`), timed alone, on PGlite and on PostgreSQL (`FINREP_BENCH_PG_URL`, or the default local
 * server; skipped when it does not answer). The goal: under 30 s on both.
 *
 * Reported per database: the stage's wall time, this process's CPU (PGlite's thread included), the stories and
 * near-duplicates it found, the key rows it stored, its statements (`DedupRunStats`), and the peak RSS.
 *
 * `npm run bench -- dedup-stage-100k [--items N] [--pglite-only | --postgres-only]`
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import type { Db } from '../src/db/client.ts';
import { articlesQ, sourcesQ } from '../src/db/queries/index.ts';
import type { NewArticle } from '../src/db/queries/articles.ts';
import { candidateStats } from '../src/dedup/postings.ts';
import { dedupPhases, runDedup } from '../src/dedup/run.ts';
import { silentLogger } from '../src/log.ts';
import { machine, round, say } from './lib/results.ts';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Items `from`..`to` of the flood: the same title and summary with a counter, one time, as collect stores them. */
export function floodRows(sourceId: number, from: number, to: number): NewArticle[] {
  const at = new Date('2026-03-02T08:00:00Z');
  const rows: NewArticle[] = [];
  for (let j = from; j < to; j++) {
    const h = createHash('sha256').update(`flood-${j}`).digest('hex').slice(0, 32);
    rows.push({
      sourceId,
      url: `https://flood.example.com/item/${j}`,
      canonicalUrl: `https://flood.example.com/item/${j}`,
      urlHash: h,
      title: `市场快讯：沪深两市今日震荡整理，投资者关注政策动向（${j}）`,
      summary: `今日沪深两市震荡整理，成交额较上一交易日小幅萎缩，板块轮动较快。市场人士认为，短期内指数仍将维持区间震荡格局，投资者可关注政策面变化。本条为第${j}条快讯。`,
      effectiveAt: at,
      publishedAt: at,
      contentHash: h,
      simhash: 0n,
      band0: 0,
      band1: 0,
      band2: 0,
      band3: 0,
      dedupNumbers: [],
    });
  }
  return rows;
}

/** Stores `items` flood rows of one new source, 5,000 per call as collect's chunks would. */
export async function storeFlood(db: Db, items: number): Promise<void> {
  await sourcesQ.upsertSources(db, [
    {
      key: 'flood',
      name: 'flood',
      kind: 'rss',
      url: 'https://flood.example.com/feed',
      rules: null,
      weight: 1,
      timezone: null,
    },
  ]);
  const source = (await sourcesQ.listSources(db)).find((s) => s.key === 'flood')!;
  for (let i = 0; i < items; i += 5000)
    await articlesQ.insertArticles(db, floodRows(source.id, i, Math.min(items, i + 5000)));
}

async function keyRows(db: Db): Promise<number> {
  const r = (await db.execute('select count(*)::int as n from article_dedup_keys')) as unknown;
  const rows = (Array.isArray(r) ? r : (r as { rows: { n: number }[] }).rows) as { n: number }[];
  return Number(rows[0]!.n);
}

async function stage(kind: 'pglite' | 'postgres', items: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-stage-'));
  const adminUrl = process.env.FINREP_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `finrep_bench_stage_${process.pid}`;
  let databaseUrl: string | null = null;
  if (kind === 'postgres') {
    const admin = new pg.Client({ connectionString: adminUrl });
    try {
      await admin.connect();
      await admin.query(`create database ${name}`);
    } catch (err) {
      say(`  PostgreSQL at ${new URL(adminUrl).host} not reachable (${(err as Error).message}): skipped`);
      return null;
    } finally {
      await admin.end().catch(() => {});
    }
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
  }
  const database = await openDatabase({ databaseUrl, dataDir });
  try {
    const s0 = performance.now();
    await storeFlood(database.db, items);
    const storeSeconds = round((performance.now() - s0) / 1000, 1);
    const stats = candidateStats();
    const load = machine().load_average;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const phases = dedupPhases();
    const r = await runDedup({ db: database.db, log: silentLogger() }, { stats, phases });
    const seconds = round((performance.now() - t0) / 1000, 1);
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    const row = {
      database: kind,
      items,
      store_seconds: storeSeconds,
      seconds,
      process_cpu_seconds: round((cpu.user + cpu.system) / 1e6, 1),
      load_average_before: load,
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      stories: r.unique,
      near_duplicates: r.nearDuplicates,
      key_rows: await keyRows(database.db),
      phases_ms: Object.fromEntries(Object.entries(phases.ms).map(([k, v]) => [k, Math.round(v)])),
      batches: phases.batches,
      text_queries: phases.textQueries,
      verified_per_newcomer: round(stats.verified / Math.max(1, stats.newcomers), 1),
      postings_per_newcomer: round(stats.postingsRead / Math.max(1, stats.newcomers), 1),
    };
    say(
      `  dedup stage, ${items} near-identical items of one feed (${kind}): ${seconds} s (CPU ${row.process_cpu_seconds} s, ` +
        `load ${load.join(' / ')}), ${r.unique} stories, ${r.nearDuplicates} near-duplicates, ${row.key_rows} key rows, peak RSS ${row.peak_rss_mb} MB; phases ${JSON.stringify(row.phases_ms)}`,
    );
    return row;
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
}

export async function run(args: string[] = []): Promise<object> {
  const items = Number(option(args, '--items') ?? 100_000);
  const kinds = (['pglite', 'postgres'] as const).filter(
    (k) => !args.some((a) => a.endsWith('-only')) || args.includes(`--${k}-only`),
  );
  say(`dedup-stage-100k: ${items} near-identical items of one feed through runDedup`);
  const stages = [];
  for (const kind of kinds) {
    const r = await stage(kind, items);
    if (r) stages.push(r);
  }
  return { goal_seconds: 30, stage: stages };
}
