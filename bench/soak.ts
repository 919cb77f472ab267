/**
 * `npm run bench:soak [-- options]`: the soak of issue 20 — N consecutive editions through long-running
 * processes (one `finrep worker`, `finrep beat`, `finrep web`, the compiled build as production runs it) on
 * PostgreSQL and Redis, in accelerated time. Stands in for the seed's "≥ 72 hours on 2C/2G" (see
 * docs/reliability.md, "Soak").
 *
 * How time is accelerated: beat's schedule fires every --period seconds (SCHEDULE_CRON `*\/P * * * * *`), and the
 * FINREP_BENCH_CLOCK hook (src/config/bench-clock.ts, off by default) makes the worker date each fire by a
 * clock running 86,400 / P times faster — so consecutive fires are the editions of consecutive days, from
 * 3 × N days before today on. Each edition goes beat → BullMQ → worker: collect from a tiny world on loopback whose sites
 * publish each day's news (`lib/soak-world.ts`), dedup, extract with the fake LLM, score, compose, deliver
 * to a real SMTP server. As each edition finishes, the harness polls /livez and a console page (/runs, with
 * an API token) and samples every process (`lib/soak-sample.ts`). Then it writes
 * bench/results/soak-<N>.json, the curves (docs/soak-memory.png, docs/soak-fds.png, docs/soak-stores.png)
 * and the Soak block of docs/reliability.md.
 *
 * Options: --editions N (50), --period S (20), --rss N (3), --web N (1), --dynamic N (1: one site rendered in
 * Chromium), --stories N (4 per edition), --recipients N (3), --llm-latency MS (50), --latency MS (20),
 * --redis-db N (8), --node-options '…' (NODE_OPTIONS of the finrep processes, e.g.
 * `--heapsnapshot-signal=SIGUSR2` to take heap snapshots of a growing process), --keep, --no-write;
 * --doc only redraws the plots and the doc block from bench/results/soak-<N>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { benchClock } from '../src/config/bench-clock.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import { freePort } from '../test/helpers/private-servers.ts';
import { startTestSmtp } from '../test/helpers/smtp.ts';
import { cliArgs } from './lib/cli-args.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { sleep, startFinrep, stopFinrep, useEntryFile } from './lib/edition-world-procs.ts';
import type { FinrepProcess } from './lib/edition-world-procs.ts';
import { prepareWorkersMode } from './lib/edition-world-workers.ts';
import { RESULTS_DIR, machine, round, say, writeResult } from './lib/results.ts';
import { soakDoc, soakPlots } from './lib/soak-report.ts';
import type { SoakEdition, SoakResult } from './lib/soak-report.ts';
import { takeSample } from './lib/soak-sample.ts';
import { serveSoakWorld } from './lib/soak-world.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { flag, value, num } = cliArgs();

const EDITIONS = num('editions', 50);
const PERIOD_S = num('period', 20);
if (!Number.isInteger(PERIOD_S) || PERIOD_S < 2 || 60 % PERIOD_S !== 0)
  throw new Error('--period: a whole number of seconds that divides 60');
const SITES = { rss: num('rss', 3), web: num('web', 1), dynamic: num('dynamic', 1) };
const STORIES = num('stories', 4);
const RECIPIENTS = num('recipients', 3);
const REDIS_DB = num('redis-db', 8);
const TZ = 'Asia/Shanghai';
/**
 * The first edition's day on the accelerated clock, fired at 06:30 (after the 06:00 cut-off and the 06:15 deadline):
 * three days back per planned edition. A loaded machine skips fires (an edition a fire is not guaranteed), and a clock
 * that overtook the real date would date the world's news in the future, which the collector refuses — the 500-edition
 * run of 2026-12-06 (load ~25, 865 days for 500 editions) collected nothing from edition 379 on, when it started at 2025-01-01.
 */
const VIRTUAL_START = `${new Date(Date.now() - 3 * EDITIONS * 86_400_000).toISOString().slice(0, 10)}T06:30:00+08:00`;

if (flag('doc')) {
  const result = JSON.parse(readFileSync(path.join(RESULTS_DIR, `soak-${EDITIONS}.json`), 'utf8')) as SoakResult;
  await soakPlots(result, ROOT);
  updateDocBlock(path.join(ROOT, 'docs/reliability.md'), 'soak', soakDoc(result));
} else {
  await soak();
}

async function soak(): Promise<void> {
  // The compiled build in a folder of this run's own: neither a rebuild of dist/ nor another soak starting
  // during the hour this one runs can touch the files its processes load lazily (and the chart rasteriser).
  const dist = path.join(ROOT, `node_modules/.cache/finrep-soak-dist-${process.pid}`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--out', dist], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  useEntryFile(path.join(dist, 'main.js'));

  // Fires at every multiple of the period; the clock's origin is a fire a little ahead, mapped to VIRTUAL_START.
  const periodMs = PERIOD_S * 1000;
  const real0 = new Date(Math.ceil((Date.now() + 15_000) / periodMs) * periodMs);
  const spec = `${VIRTUAL_START}@${real0.toISOString()}x${86_400 / PERIOD_S}`;
  const clock = benchClock({ FINREP_BENCH_CLOCK: spec })!;
  const world = await serveSoakWorld({
    sites: SITES,
    stories: STORIES,
    clock,
    timeZone: TZ,
    latencyMs: num('latency', 20),
  });
  const fake = await startFakeLlm({ style: 'deepseek', latencyMs: num('llm-latency', 50), apiKey: 'bench-soak-key' });
  const smtp = await startTestSmtp();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-soak-'));
  const webPort = await freePort();
  const env: Record<string, string> = {
    ENV: 'production',
    TZ,
    LOG_LEVEL: 'warn',
    FINREP_DATA_DIR: dataDir,
    JWT_SECRET_KEY: 'bench-soak-secret-0123456789abcdef',
    PROVIDER_DEEPSEEK_API_KEY: 'bench-soak-key',
    PROVIDER_DEEPSEEK_BASE_URL: fake.url,
    LLM_PROVIDERS: 'deepseek',
    LLM_CONCURRENCY: '8',
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'report@finrep.bench',
    MAIL_RATE_LIMIT_PER_SEC: '50',
    PUBLIC_BASE_URL: `http://127.0.0.1:${webPort}`,
    SCHEDULE_CRON: `*/${PERIOD_S} * * * * *`,
    SCHEDULE_CATCHUP_HOURS: '0',
    BACKUP_SCHEDULE: 'off',
    RETENTION_SCHEDULE: 'off',
    FINREP_BENCH_CLOCK: spec,
    ...(value('node-options') ? { NODE_OPTIONS: value('node-options')! } : {}),
  };
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  const prepared = await prepareWorkersMode({
    pid: process.pid,
    env,
    cwd: dataDir,
    keep: flag('keep'),
    dbPrefix: 'finrep_bench_soak',
    redisUrl,
  });
  Object.assign(env, prepared.env);
  const database = new URL(env.DATABASE_URL!).pathname.slice(1);
  const procs: FinrepProcess[] = [];
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const pgc = new pg.Client({ connectionString: env.DATABASE_URL });
  await pgc.connect();
  try {
    await seed(world.seeds, env, dataDir);
    const token = await apiToken(env, dataDir);
    const t0 = performance.now();
    for (const [role, args] of [
      ['web', ['web', '--host', '127.0.0.1', '--port', String(webPort)]],
      ['worker', ['worker']],
      ['beat', ['beat']],
    ] as const) {
      procs.push(startFinrep(role, [...args], env, dataDir, { forward: true }));
    }
    const pids = Object.fromEntries(procs.map((p) => [p.role, p.pid]));
    const base = `http://127.0.0.1:${webPort}`;
    say(
      `bench:soak — ${EDITIONS} editions, one every ${PERIOD_S} s (a day per period from ${VIRTUAL_START.slice(0, 10)}), ` +
        `${world.seeds.length} sources, ${STORIES} stories and ${RECIPIENTS} recipients per edition; pids ${JSON.stringify(pids)}`,
    );
    const editions: SoakEdition[] = [];
    const started = Date.now();
    // SIGINT or SIGTERM ends the soak early: the editions so far are written (complete: false), then all stops.
    let stopAsked: NodeJS.Signals | null = null;
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.once(sig, () => {
        stopAsked = sig;
        say(`  ${sig}: stopping after ${editions.length} editions`);
      });
    let lastRun = 0;
    let mails = 0;
    while (editions.length < EDITIONS && !stopAsked) {
      const dead = procs.find((p) => p.exited);
      if (dead) {
        const r = await dead.done;
        throw new Error(`${dead.role} exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(-1500)}`);
      }
      const { rows } = await pgc.query<{
        id: number;
        date: string;
        status: string;
        ms: number;
        articles: string;
        items: string;
        delivered: string;
      }>(
        `select r.id, e.date::text as date, r.status,
                extract(epoch from (r.finished_at - r.started_at)) * 1000 as ms,
                (select count(*) from articles a where a.published_at >= e.window_from and a.published_at < e.window_to) as articles,
                (select count(*) from report_items i where i.edition_id = e.id) as items,
                (select count(*) from delivery_log d where d.edition_id = e.id and d.status = 'sent') as delivered
         from runs r join editions e on e.id = r.edition_id
         where r.trigger = 'schedule' and r.status <> 'running' and r.id > $1 order by r.id`,
        [lastRun],
      );
      if (rows.length === 0) {
        if (Date.now() - started > (editions.length + 3) * periodMs * 3)
          throw new Error(`no edition finished for a long time (${editions.length} done)`);
        await sleep(250);
        continue;
      }
      for (const row of rows) {
        lastRun = row.id;
        mails += smtp.messages.length;
        const received = smtp.messages.length;
        // The bench process keeps neither the mails nor the prompts: its own memory stays flat.
        smtp.messages.length = 0;
        fake.requests.length = 0;
        const stages = await pgc.query<{ stage: string; ms: number }>(
          'select stage, duration_ms as ms from run_stages where run_id = $1 order by started_at, id',
          [row.id],
        );
        const web = await probeWeb(base, token);
        const sample = await takeSample({ t0, pids, redis, db: REDIS_DB, pg: pgc, database });
        const e: SoakEdition = {
          n: editions.length + 1,
          date: row.date,
          status: row.status,
          run_ms: Math.round(Number(row.ms)),
          articles: Number(row.articles),
          report_items: Number(row.items),
          delivered: Number(row.delivered),
          stages_ms: Object.fromEntries(stages.rows.map((x) => [x.stage, Number(x.ms)])),
          mails_received: received,
          web,
          ...sample,
        };
        editions.push(e);
        if (e.n <= 3 || e.n % 10 === 0 || e.n === EDITIONS)
          say(
            `  #${e.n} ${e.date} ${e.status} ${round(e.run_ms / 1000, 1)} s (${Object.entries(e.stages_ms)
              .map(([k, v]) => `${k} ${round(v / 1000, 1)}`)
              .join(' ')}), ${e.articles} articles, ${e.report_items} items, ${e.delivered} sent; ` +
              Object.entries(e.processes)
                .map(
                  ([r, p]) =>
                    `${r} ${p.rss_mb} MB/${p.fds} fds${p.chromium_processes ? ` +Chromium ${p.chromium_rss_mb} MB` : ''}`,
                )
                .join(', ') +
              `; Redis ${e.redis.used_memory_mb} MB ${e.redis.db_clients} clients ${e.redis.db_keys} keys; PG ${e.pg_connections}; /livez ${e.web.livez} /runs ${e.web.console} ${e.web.console_ms} ms`,
          );
      }
    }
    const result: SoakResult = {
      editions_planned: EDITIONS,
      ...(editions.length < EDITIONS
        ? { complete: false, note: `Stopped by ${stopAsked} after ${editions.length} editions.` }
        : {}),
      period_s: PERIOD_S,
      bench_clock: spec,
      world: { sites: SITES, stories_per_edition: STORIES, recipients: RECIPIENTS },
      wall_s: round((performance.now() - t0) / 1000, 1),
      mails_received: mails,
      bench_process_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      editions,
    };
    // Beat first (no more fires), then the web, then the worker, which finishes the edition in hand.
    for (const role of ['beat', 'web', 'worker']) {
      const p = procs.find((x) => x.role === role)!;
      const stop = await stopFinrep(p, 60_000);
      say(`  ${p.role} stopped: ${stop.code ?? stop.signal}${stop.graceful ? '' : ' (killed after 60 s)'}`);
    }
    if (flag('no-write')) say('  (--no-write: results not saved)');
    else {
      say(`  → ${writeResult(`soak-${EDITIONS}`, result)}`);
      const full = { machine: machine(), ...result };
      for (const f of await soakPlots(full, ROOT)) say(`  → ${f}`);
      updateDocBlock(path.join(ROOT, 'docs/reliability.md'), 'soak', soakDoc(full));
      say('  → docs/reliability.md');
    }
  } finally {
    await Promise.all(procs.filter((p) => !p.exited).map((p) => stopFinrep(p, 10_000)));
    redis.disconnect();
    await pgc.end().catch(() => {});
    await Promise.all([world.close(), fake.close(), smtp.close()]);
    await prepared.cleanup();
    rmSync(dist, { recursive: true, force: true });
    if (!flag('keep')) rmSync(dataDir, { recursive: true, force: true });
    else say(`  kept ${dataDir}`);
  }
}

/** The sources and recipients, through finrep's own queries. */
async function seed(
  seeds: Awaited<ReturnType<typeof serveSoakWorld>>['seeds'],
  env: Record<string, string>,
  cwd: string,
): Promise<void> {
  const { openDatabase } = await import('../src/db/client.ts');
  const { recipientsQ, sourcesQ } = await import('../src/db/queries/index.ts');
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL!, dataDir: cwd, migrate: false });
  try {
    await sourcesQ.upsertSources(db.db, seeds);
    await recipientsQ.upsertRecipients(
      db.db,
      Array.from({ length: RECIPIENTS }, (_, i) => ({
        email: `soak${i + 1}@bench.example.com`,
        name: `读者${i + 1}`,
        groups: ['投资部'],
      })),
    );
  } finally {
    await db.close();
  }
}

/** A viewer API token made by `finrep token create`: the console pages accept it as a Bearer credential. */
async function apiToken(env: Record<string, string>, cwd: string): Promise<string> {
  const r = await startFinrep('token', ['token', 'create', '--name', 'soak', '--json'], env, cwd).done;
  if (r.code !== 0) throw new Error(`finrep token create failed: ${r.stderr.trim().slice(-500)}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { token: string }).token;
}

/** /livez and the console's run list, as each edition finishes: status codes and the page's time. */
async function probeWeb(base: string, token: string): Promise<SoakEdition['web']> {
  const status = async (url: string, headers: Record<string, string> = {}) => {
    const t = performance.now();
    try {
      const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      return { code: res.status, ms: Math.round(performance.now() - t) };
    } catch {
      return { code: 0, ms: Math.round(performance.now() - t) };
    }
  };
  const [livez, runs] = await Promise.all([
    status(`${base}/livez`),
    status(`${base}/runs`, { authorization: `Bearer ${token}` }),
  ]);
  return { livez: livez.code, console: runs.code, console_ms: runs.ms };
}
