/**
 * The edition's dedup stage on one feed's flood (issue 14): 100,000 near-identical items of one source — the
 * same title and summary with a counter, all collected at once (`src/dedup/testdata/flood.ts`) — stored as collect stores them
 * (`insertArticles`, unclustered, no fingerprint yet), then deduplicated by the function the pipeline's dedup
 * job calls (`runDedup`), timed alone, on PGlite and on PostgreSQL (`FINREP_BENCH_PG_URL`, or the default local
 * server; skipped when it does not answer). The goal: under 30 s on both.
 *
 * Reported per database: the stage's wall time, this process's CPU (PGlite's thread included) and, on
 * PostgreSQL, the server's (its backends for the database, read from /proc when the server is local), the
 * stories and near-duplicates it found, the key rows it stored, its batches and where their time went
 * (`DedupPhases`), and the peak RSS.
 *
 * `npm run bench -- dedup-stage-100k [--items N] [--pglite-only | --postgres-only]`
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import type { Db } from '../src/db/client.ts';
import { articlesQ, sourcesQ } from '../src/db/queries/index.ts';
import { candidateStats } from '../src/dedup/postings.ts';
import { dedupPhases, runDedup } from '../src/dedup/run.ts';
import { floodRows } from '../src/dedup/testdata/flood.ts';
import { silentLogger } from '../src/log.ts';
import { machine, round, say } from './lib/results.ts';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
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

/** Index keys stored (`articles.dedup_keys`). */
async function keyRows(db: Db): Promise<number> {
  const r = (await db.execute('select coalesce(sum(cardinality(dedup_keys)), 0)::int as n from articles')) as unknown;
  const rows = (Array.isArray(r) ? r : (r as { rows: { n: number }[] }).rows) as { n: number }[];
  return Number(rows[0]!.n);
}

/** CPU seconds of the server processes serving this database (0 when they are not readable: a remote server). */
async function serverCpu(db: Db): Promise<number> {
  const r = (await db.execute('select pid from pg_stat_activity where datname = current_database()')) as unknown;
  const rows = (Array.isArray(r) ? r : (r as { rows: { pid: number }[] }).rows) as { pid: number }[];
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // not local, or gone
    }
  }
  return ticks / 100;
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
    const server0 = kind === 'postgres' ? await serverCpu(database.db) : 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const phases = dedupPhases();
    const r = await runDedup({ db: database.db, log: silentLogger() }, { stats, phases });
    const seconds = round((performance.now() - t0) / 1000, 1);
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    const serverSeconds = kind === 'postgres' ? round((await serverCpu(database.db)) - server0, 1) : null;
    const row = {
      database: kind,
      items,
      store_seconds: storeSeconds,
      seconds,
      process_cpu_seconds: round((cpu.user + cpu.system) / 1e6, 1),
      server_cpu_seconds: serverSeconds,
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
      `  dedup stage, ${items} near-identical items of one feed (${kind}): ${seconds} s (CPU ${row.process_cpu_seconds} s${serverSeconds === null ? '' : `, server ${serverSeconds} s`}, ` +
        `load ${load.join(' / ')}), ${r.unique} stories, ${r.nearDuplicates} near-duplicates, ${row.key_rows} keys stored, peak RSS ${row.peak_rss_mb} MB; phases ${JSON.stringify(row.phases_ms)}`,
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
