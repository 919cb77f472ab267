/**
 * `npm run bench:edition [-- options]`: one whole edition of the reference workload (issue 7), run by the
 * real `finrep` command, against the physical bound its limits allow.
 *
 * World: 200 sources (150 RSS, 40 static sites, 10 dynamic sites rendered in Chromium), each on its own
 * loopback address with an injected latency, publishing ~6,000 items of ~600 stories (the rest reposts);
 * the fake LLM (OpenAI wire format) at 1.5 s per call behind LLM_CONCURRENCY=8; 500 recipients at
 * MAIL_RATE_LIMIT_PER_SEC=10 to a real SMTP server. See docs/benchmarks-edition.md.
 *
 * Bound = max(collect bound, LLM bound) + mail bound:
 *   collect = max(⌈RSS feeds / CRAWL_CONCURRENCY_RSS⌉, ⌈Σ page rounds of the web sites / CRAWL_CONCURRENCY_WEB⌉) × latency,
 *             a site's page rounds = list requests (1; 2 for dynamic: shell + JSON) + ⌈articles / min(2, CRAWL_PER_HOST_CONCURRENCY)⌉;
 *   LLM     = ⌈stories / LLM_CONCURRENCY⌉ × LLM latency;  mail = recipients / MAIL_RATE_LIMIT_PER_SEC.
 *
 * Modes: `--mode embedded` (default): `finrep run --date D --json` on PGlite in a temp folder.
 * `--mode workers --workers N [--kill K]`: a fresh PostgreSQL database (FINREP_BENCH_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres) and Redis db (FINREP_BENCH_REDIS_URL, default
 * redis://127.0.0.1:6379/5, flushed), N `finrep worker` processes, then `finrep run --date D --json`; with
 * --kill K, K times a random worker (and its Chromium) is SIGKILLed at a random moment (uniform over the first
 * --kill-window seconds of the run, default 1.5 × bound) and replaced; --seed N fixes the kill moments and
 * victims (default 1), so runs before and after a change meet the same kills.
 * Other options: --latency MS (200), --llm-latency MS (1500), --stories N (600), --items N (6000),
 * --recipients N (500), --rate R (10), --date YYYY-MM-DD (the latest edition whose deadline has passed),
 * --settle S (seconds workers get to start, 5), --node-options '…' (NODE_OPTIONS of the finrep processes), --node-args '…' (node flags
 * before the entry, for those NODE_OPTIONS refuses: `--cpu-prof --cpu-prof-dir=DIR`), --entry dist|tsx (dist: `npm run build` first and run the compiled
 * dist/main.js as production does — the default; tsx: bin/finrep.js, the sources through tsx), --keep (keep the temp folder / database), --no-write;
 * --doc only rewrites the table in docs/benchmarks-edition.md from the stored results.
 * Writes the run into bench/results/edition.json under its mode (`embedded`, `workers-1`, `workers-2`, …).
 */
import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { WEB_ARTICLE_CONCURRENCY } from '../src/collect/web.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Db } from '../src/db/client.ts';
import { recipientsQ, sourcesQ } from '../src/db/queries/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { startTestSmtp } from '../test/helpers/smtp.ts';
import { checkEdition, trafficCounts } from './lib/edition-world-checks.ts';
import { startMemorySampler } from './lib/edition-world-memory.ts';
import type { MemoryPeaks } from './lib/edition-world-memory.ts';
import { parseSummary, startFinrep, useEntry, useNodeArgs } from './lib/edition-world-procs.ts';
import { prepareWorkersMode, runWithWorkers } from './lib/edition-world-workers.ts';
import { editionBound, latestPastEdition, planWorld } from './lib/edition-world.ts';
import { serveWorld } from './lib/edition-world-sites.ts';
import { RESULTS_DIR, machine, round, say, writeResult } from './lib/results.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { cliArgs } from './lib/cli-args.ts';

const DOC = path.resolve(import.meta.dirname, '../docs/benchmarks-edition.md');

const { flag, value, num } = cliArgs();

const MODE = value('mode') ?? 'embedded';
if (MODE !== 'embedded' && MODE !== 'workers') throw new Error(`--mode: expected embedded or workers, got "${MODE}"`);
const WORKERS = num('workers', MODE === 'workers' ? 1 : 0);
const KILLS = num('kill', 0);
const KILL_SEED = num('seed', 1);
if (MODE === 'embedded' && (KILLS > 0 || flag('workers'))) throw new Error('--workers and --kill need --mode workers');
const ENTRY = (value('entry') ?? 'dist') as 'dist' | 'tsx';
if (ENTRY !== 'dist' && ENTRY !== 'tsx') throw new Error(`--entry: expected dist or tsx, got "${ENTRY}"`);
const LATENCY_MS = num('latency', 200);
const LLM_LATENCY_MS = num('llm-latency', 1500);
const STORIES = num('stories', 600);
const ITEMS = num('items', 6000);
const RECIPIENTS = num('recipients', 500);
const RATE = num('rate', 10);
const TZ = 'Asia/Shanghai';

const DATE = value('date') ?? latestPastEdition(new Date(), TZ);
const modeKey = MODE === 'embedded' ? 'embedded' : `workers-${WORKERS}${KILLS > 0 ? `-kill${KILLS}` : ''}`;

if (flag('doc')) {
  updateDocBlock(DOC, 'edition', docTable(storedRuns()));
  say(`→ ${DOC}`);
} else {
  await bench();
}

/** The runs stored in bench/results/edition.json, by mode. */
function storedRuns(): Record<string, RunRow> {
  const file = path.join(RESULTS_DIR, 'edition.json');
  return existsSync(file)
    ? ((JSON.parse(readFileSync(file, 'utf8')) as { runs?: Record<string, RunRow> }).runs ?? {})
    : {};
}

/** Runs one edition of the workload in the selected mode and stores the result. */
async function bench(): Promise<void> {
  useEntry(ENTRY);
  useNodeArgs(value('node-args')?.split(/\s+/).filter(Boolean) ?? []);
  if (ENTRY === 'dist')
    execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../scripts/build.mjs')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  const window = editionWindow(DATE, { timeZone: TZ, cutoff: '06:00', windowHours: 24 });
  const tPlan = performance.now();
  const plan = planWorld({ from: window.from, to: window.to, timeZone: TZ, stories: STORIES, items: ITEMS });
  say(
    `bench:edition — mode ${modeKey}, edition ${DATE}, ${plan.sites.length} sources, ${plan.items} items, ${plan.stories} stories ` +
      `(planned in ${Math.round(performance.now() - tPlan)} ms), ${RECIPIENTS} recipients`,
  );

  const world = await serveWorld(plan, { latencyMs: LATENCY_MS, timeZone: TZ });
  const fake = await startFakeLlm({ style: 'deepseek', latencyMs: LLM_LATENCY_MS, apiKey: 'bench-edition-key' });
  const smtp = await startTestSmtp();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-edition-'));
  const recipients = Array.from({ length: RECIPIENTS }, (_, i) => ({
    email: `reader${String(i + 1).padStart(4, '0')}@bench.example.com`,
    name: `读者${i + 1}`,
    groups: [i % 3 === 0 ? '研究部' : '投资部'],
  }));

  const env: Record<string, string> = {
    ENV: 'production',
    TZ,
    LOG_LEVEL: 'warn',
    FINREP_DATA_DIR: dataDir,
    JWT_SECRET_KEY: 'bench-edition-secret-0123456789',
    PROVIDER_DEEPSEEK_API_KEY: 'bench-edition-key',
    PROVIDER_DEEPSEEK_BASE_URL: fake.url,
    LLM_PROVIDERS: 'deepseek',
    LLM_CONCURRENCY: '8',
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'report@finrep.bench',
    MAIL_RATE_LIMIT_PER_SEC: String(RATE),
    PUBLIC_BASE_URL: 'http://finrep.bench',
    ...(value('node-options') ? { NODE_OPTIONS: value('node-options')! } : {}),
    ...(value('malloc-arena-max') ? { MALLOC_ARENA_MAX: value('malloc-arena-max')! } : {}),
  };

  let cleanupDb: (() => Promise<void>) | null = null;
  try {
    // The database: PGlite in the temp folder, or a fresh PostgreSQL database and Redis db.
    if (MODE === 'workers') {
      const prepared = await prepareWorkersMode({ pid: process.pid, env, cwd: dataDir, keep: flag('keep') });
      cleanupDb = prepared.cleanup;
      Object.assign(env, prepared.env);
    }
    const config = loadConfig(env, { envFile: null });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir });
    await sourcesQ.upsertSources(database.db, world.seeds);
    await recipientsQ.upsertRecipients(database.db, recipients);
    await database.close();

    // The bound, from the configuration the children get and the world's shape.
    const b = editionBound(plan, config, {
      latencyMs: LATENCY_MS,
      llmLatencyMs: LLM_LATENCY_MS,
      recipients: RECIPIENTS,
    });
    const { rssFeeds, webSites, llmConcurrency } = b;
    const bound = {
      collect_s: round(b.collect_s, 2),
      collect_rss_s: round(b.collect_rss_s, 2),
      collect_web_s: round(b.collect_web_s, 2),
      llm_s: round(b.llm_s, 2),
      mail_s: round(b.mail_s, 2),
      total_s: round(b.total_s, 2),
      sequential_s: round(b.sequential_s, 2),
    };
    say(
      `  bound ${bound.total_s} s = max(collect ${bound.collect_s} s, LLM ${bound.llm_s} s) + mail ${bound.mail_s} s (stages in sequence: ${bound.sequential_s} s)`,
    );

    const sampler = startMemorySampler(200);
    const runArgs = ['run', '--date', DATE, '--json'];
    let outcome: Awaited<ReturnType<typeof runWithWorkers>>;
    if (MODE === 'embedded') {
      const run = startFinrep('run', runArgs, env, dataDir, { forward: true });
      sampler.watch('run', run.pid);
      const r = await run.done;
      outcome = { run: r, wallMs: r.ms, workers: [], kills: [], settleMs: 0 };
    } else {
      outcome = await runWithWorkers({
        env,
        cwd: dataDir,
        runArgs,
        workers: WORKERS,
        kills: KILLS,
        killWindowMs: num('kill-window', 1.5 * bound.total_s) * 1000,
        killSeed: KILL_SEED,
        settleMs: num('settle', 5) * 1000,
        sampler,
      });
    }
    const memory = await sampler.stop();
    const summary = parseSummary(outcome.run.stdout);
    if (outcome.run.code !== 0 || !summary) {
      say(
        `  finrep run ended with ${outcome.run.code ?? outcome.run.signal}; stderr tail:\n${outcome.run.stderr.slice(-3000)}`,
      );
    }

    const checkDb = await openDatabase({ databaseUrl: config.databaseUrl, dataDir, migrate: false });
    const [check, stageSpans] = await Promise.all([
      checkEdition(checkDb.db, {
        date: DATE,
        storyOfUrl: world.storyOfUrl,
        expectedArticles: plan.items,
        expectedStories: plan.stories,
        recipients: recipients.map((r) => r.email),
        received: smtp.messages.flatMap((m) => m.envelope.to),
      }),
      stageTimes(checkDb.db, DATE),
    ]).finally(() => checkDb.close());
    // Per stage, the peak of each pipeline process while the stage ran (pipelined stages overlap, so a
    // sample can count for several); the samples themselves are not stored.
    const timelines = new Map(memory.map((m) => [m.role, m.timeline ?? []]));
    for (const m of memory) delete m.timeline;

    // The processes that do the pipeline's work: `finrep run` itself when embedded, the workers otherwise.
    const workerMemory = memory.filter((m) => (MODE === 'embedded') === (m.role === 'run'));
    const wallS = outcome.wallMs / 1000;
    const result = {
      mode: MODE,
      workers: WORKERS,
      edition: DATE,
      entry: ENTRY === 'dist' ? 'node dist/main.js (npm run build)' : 'node bin/finrep.js (tsx)',
      node_options: value('node-options') ?? null,
      malloc_arena_max: value('malloc-arena-max') ?? null,
      workload: {
        sources: {
          rss: rssFeeds,
          web: webSites.filter((s) => s.kind === 'web').length,
          dynamic: webSites.filter((s) => s.kind === 'dynamic').length,
        },
        items: plan.items,
        stories: plan.stories,
        written_stories: plan.writtenStories,
        recipients: RECIPIENTS,
        latency_ms: LATENCY_MS,
        llm_latency_ms: LLM_LATENCY_MS,
        limits: {
          crawl_rss: config.crawl.concurrencyRss,
          crawl_web: config.crawl.concurrencyWeb,
          per_host: config.crawl.perHostConcurrency,
          web_articles: WEB_ARTICLE_CONCURRENCY,
          llm_concurrency: llmConcurrency,
          mail_rate_per_sec: config.mail.ratePerSec,
        },
      },
      bound,
      wall_s: round(wallS, 2),
      total_over_bound: round(wallS / bound.total_s, 3),
      total_over_sequential_bound: round(wallS / bound.sequential_s, 3),
      goal_total_over_bound: 1.15,
      timings_ms: (summary?.timings_ms as Record<string, number> | undefined) ?? null,
      run_stages: check.run_stages,
      run_exit: outcome.run.code ?? outcome.run.signal,
      // The run's files lie in a temporary folder: stored as `$FINREP_DATA_DIR/…`, no machine path in the results.
      summary:
        summary &&
        JSON.parse(JSON.stringify(summary).replaceAll(JSON.stringify(dataDir).slice(1, -1), '$FINREP_DATA_DIR')),
      memory,
      peak_worker_node_mb: Math.max(0, ...workerMemory.map((m) => m.node_mb)),
      stage_peaks: Object.fromEntries(
        workerMemory.map((m) => [m.role, stagePeaks(timelines.get(m.role) ?? [], stageSpans)]),
      ),
      peak_worker_mb_without_chromium: Math.max(0, ...workerMemory.map((m) => m.without_chromium_mb)),
      goal_worker_mb: 350,
      bench_process_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      ...trafficCounts(world, fake, smtp),
      check,
      workers_detail: outcome.workers,
      kills_planned: KILLS,
      kills: outcome.kills,
      kill_seed: KILLS > 0 ? KILL_SEED : undefined,
      settle_ms: outcome.settleMs,
    };
    report(result);
    if (flag('no-write')) say('  (--no-write: results not saved)');
    else {
      const runs = { ...storedRuns(), [modeKey]: { machine: machine(), ...result } } as Record<string, RunRow>;
      say(`  → ${writeResult('edition', { runs })}`);
      updateDocBlock(DOC, 'edition', docTable(runs));
      say(`  → ${DOC}`);
    }
    if (!check.ok || outcome.run.code !== 0) process.exitCode = 1;
  } finally {
    await Promise.all([world.close(), fake.close(), smtp.close()]);
    await cleanupDb?.();
    if (!flag('keep')) rmSync(dataDir, { recursive: true, force: true });
    else say(`  kept ${dataDir}`);
  }
}

function report(r: {
  wall_s: number;
  bound: { total_s: number; sequential_s: number };
  total_over_bound: number;
  total_over_sequential_bound: number;
  timings_ms: Record<string, number> | null;
  memory: MemoryPeaks[];
  stage_peaks: Record<string, Record<string, StagePeak>>;
  check: Awaited<ReturnType<typeof checkEdition>>;
  llm: { requests: number; distinct_prompts: number; peak_in_flight: number };
  kills: unknown[];
}): void {
  const c = r.check;
  say(
    `  wall ${r.wall_s} s vs bound ${r.bound.total_s} s → ×${r.total_over_bound} (goal ≤ 1.15; vs stages in sequence ${r.bound.sequential_s} s → ×${r.total_over_sequential_bound})`,
  );
  say(
    `  collect per source: ${Object.entries(c.collect_by_kind)
      .map(
        ([k, v]) =>
          `${k} avg ${round(v.avg_ms / 1000, 1)} s max ${round(v.max_ms / 1000, 1)} s (${v.items} items${v.failed ? `, ${v.failed} failed` : ''})`,
      )
      .join('; ')}`,
  );
  if (r.timings_ms)
    say(
      `  stages: ${Object.entries(r.timings_ms)
        .map(([k, v]) => `${k} ${round(v / 1000, 1)} s`)
        .join(', ')}`,
    );
  for (const m of r.memory) {
    const others = m.other_processes.length ? ` (with ${m.other_processes.join(', ')})` : '';
    say(
      `  ${m.role}: node ${m.node_mb} MB (at ${m.node_peak_at_s} s), without Chromium ${m.without_chromium_mb} MB${others}, Chromium ${m.chromium_mb} MB, total ${m.total_mb} MB (RSS peaks)`,
    );
    const split = m.total_pss_peak_split;
    say(
      `    PSS (cgroup-like): node ${m.node_pss_mb} MB, Chromium ${m.chromium_pss_mb} MB, together ${m.total_pss_mb} MB at ${m.total_pss_peak_at_s} s (node ${split.node_mb} + Chromium ${split.chromium_mb} + other ${split.other_mb})`,
    );
  }
  for (const [role, peaks] of Object.entries(r.stage_peaks)) {
    const parts = Object.entries(peaks).map(([stage, p]) => `${stage} ${p.rss_mb}/${p.pss_mb}`);
    if (parts.length) say(`    ${role} peak per stage, RSS/PSS MB: ${parts.join(', ')}`);
  }
  say(
    `  articles ${c.articles.stored}/${c.articles.expected}, clusters ${c.stories.clusters} for ${c.stories.expected} stories (${c.stories.stories_split} split, ${c.stories.clusters_merged} merged), ` +
      `LLM calls ${r.llm.requests} for ${r.llm.distinct_prompts} distinct prompts (peak ${r.llm.peak_in_flight} in flight), report items ${c.report_items.count}`,
  );
  say(
    `  mail: ${c.mail.received} received for ${c.mail.recipients} recipients (${c.mail.recipients_missing} missing, ${c.mail.recipients_duplicated} duplicated); delivery_log ${c.delivery_log.rows} rows ${JSON.stringify(c.delivery_log.by_status)}`,
  );
  if (r.kills.length) say(`  kills: ${r.kills.length} (replacement workers started; see kills in the JSON)`);
  say(c.ok ? '  exactly-once checks: ok' : `  exactly-once checks FAILED: ${c.problems.join('; ')}`);
}

/** A stage's start and end (ms since the epoch; end = now for a stage still running), by its run_stages row. */
interface StageSpan {
  stage: string;
  from: number;
  to: number;
}

/** The peak RSS and PSS of one process while a stage ran. */
interface StagePeak {
  rss_mb: number;
  pss_mb: number;
}

/** The stages of the edition's runs, with wall-clock start and end. */
async function stageTimes(db: Db, date: string): Promise<StageSpan[]> {
  const rows = (
    (await db.execute(sql`
      select s.stage, s.started_at::text as started, s.finished_at::text as finished
      from run_stages s join runs r on r.id = s.run_id join editions e on e.id = r.edition_id
      where e.date = ${date} order by s.started_at, s.id`)) as unknown as {
      rows: { stage: string; started: string; finished: string | null }[];
    }
  ).rows;
  return rows.map((r) => ({
    stage: r.stage,
    from: Date.parse(r.started),
    to: r.finished ? Date.parse(r.finished) : Date.now(),
  }));
}

/** Per stage (in order of start), the highest sample taken while it ran; a stage run twice (resumed) counts once. */
function stagePeaks(timeline: NonNullable<MemoryPeaks['timeline']>, spans: StageSpan[]): Record<string, StagePeak> {
  const out: Record<string, StagePeak> = {};
  for (const span of spans) {
    const during = timeline.filter((t) => t.at >= span.from && t.at <= span.to);
    if (during.length === 0) continue;
    const peak = (out[span.stage] ??= { rss_mb: 0, pss_mb: 0 });
    peak.rss_mb = Math.max(peak.rss_mb, ...during.map((t) => t.rss_mb));
    peak.pss_mb = Math.max(peak.pss_mb, ...during.map((t) => t.pss_mb));
  }
  return out;
}

/** The fields of a stored run the docs table shows. */
interface RunRow {
  machine: { at: string; load_average: number[] };
  wall_s: number;
  bound: { total_s: number };
  total_over_bound: number;
  timings_ms: Record<string, number> | null;
  peak_worker_node_mb?: number;
  peak_worker_mb_without_chromium: number;
  memory: { role: string; node_mb: number; chromium_mb: number; node_pss_mb?: number; total_pss_mb?: number }[];
  kills?: unknown[];
  check: {
    ok: boolean;
    articles: { stored: number };
    stories: { clusters: number };
    report_items: { count: number };
    mail: { received: number; recipients: number; recipients_duplicated: number };
  };
}

/** One row per stored run (embedded, workers-1, workers-2, …) for docs/benchmarks-edition.md. */
function docTable(runs: Record<string, RunRow>): string {
  const s = (ms: number | undefined) => (ms === undefined ? '–' : `${round(ms / 1000, 1)}`);
  const lines = [
    '| mode | total s | bound s | total/bound | collect | dedup | extract | score | compose | deliver | worker RSS: Node / w/o Chromium | Node PSS | Chromium | worker + Chromium PSS | articles | clusters | items | mails (dup) | checks | when (load) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [mode, r] of Object.entries(runs).sort(([a], [b]) => a.localeCompare(b))) {
    const t = r.timings_ms ?? {};
    const node =
      r.peak_worker_node_mb ??
      Math.max(0, ...r.memory.filter((m) => (mode === 'embedded') === (m.role === 'run')).map((m) => m.node_mb));
    const chromium = Math.max(0, ...r.memory.map((m) => m.chromium_mb));
    const nodePss = Math.max(
      0,
      ...r.memory.filter((m) => (mode === 'embedded') === (m.role === 'run')).map((m) => m.node_pss_mb ?? 0),
    );
    const pss = Math.max(
      0,
      ...r.memory.filter((m) => (mode === 'embedded') === (m.role === 'run')).map((m) => m.total_pss_mb ?? 0),
    );
    lines.push(
      `| ${mode}${r.kills?.length ? ` (${r.kills.length} kills)` : ''} | ${r.wall_s} | ${r.bound.total_s} | ${r.total_over_bound} | ${s(t.collect)} | ${s(t.dedup)} | ${s(t.extract)} | ${s(t.score)} | ${s(t.compose)} | ${s(t.deliver)} ` +
        `| ${node} / ${r.peak_worker_mb_without_chromium} MB | ${nodePss ? `${nodePss} MB` : '–'} | ${chromium} MB | ${pss ? `${pss} MB` : '–'} | ${r.check.articles.stored} | ${r.check.stories.clusters} | ${r.check.report_items.count} ` +
        `| ${r.check.mail.received}/${r.check.mail.recipients} (${r.check.mail.recipients_duplicated}) | ${r.check.ok ? 'ok' : 'FAILED'} | ${r.machine.at.slice(0, 16).replace('T', ' ')} (${r.machine.load_average[0]}) |`,
    );
  }
  lines.push(
    '',
    "Stage columns in seconds (`timings_ms` of the run summary; pipelined stages overlap). Worker RSS: the peak of the process doing the pipeline's work (`finrep run` embedded, the workers otherwise), alone and with its non-Chromium children (goal ≤ 350 MB); Node PSS: that process alone counted as a memory cgroup counts it (embedded goal ≤ 450 MB; per stage in `stage_peaks` of the JSON); Chromium: the RSS of its processes summed (a shared page counted once per process); worker + Chromium PSS: the peak of their PSS summed at each sample, what a memory cgroup holding both is charged, near enough (goal ≤ 700 MB). Written by `npm run bench:edition`; raw numbers in `bench/results/edition.json`.",
  );
  return lines.join('\n');
}
