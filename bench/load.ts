/**
 * `npm run bench:load [-- options]`: the Load part of issue 20 (seed §11.2), in the production shape of the
 * chaos trials (`lib/chaos-stack.ts`: the compiled build's `finrep web`, workers and beat as supervised
 * processes, a PostgreSQL cluster and a redis-server of their own, a world of feeds and sites on loopback,
 * fake LLM providers, a real SMTP server).
 *
 * Default mode — the console under load during an edition: a fresh database seeded with the console
 * benchmark's history (`lib/console-seed.ts`: 100,000 articles, 30 editions, 300,000 delivery rows; its
 * sources and recipients disabled), web, 2 workers and beat. First a baseline edition without load, on a stack
 * of its own; then, on a fresh stack, the same edition started through the API and at once --connections
 * (200) keep-alive connections on loopback driving the console's pages (an admin API token) and /healthz,
 * /livez and /metrics for --seconds (60): per route requests, p50/p95/p99 and failures (`lib/load-traffic.ts`),
 * over the whole load and while the edition ran; the edition's outcome and time against the baseline.
 *
 * `--cgroup`: one worker (WORKER_CONCURRENCY=2: two jobs of a queue at once) inside a cgroup v1 memory group
 * of --limit-mb (1024: docker-compose.prod.yml's worker limit; swap limited alike), with web and beat outside
 * it; two editions (yesterday's and today's, each its own news) started at once over a world with sites
 * rendered in Chromium, so the worker renders, extracts and composes for both at the same time. Records the
 * group's peak (memory.max_usage_in_bytes), failcnt and OOM kills, the worker's restarts and exit, and the
 * jobs it held at once (BullMQ's active lists, sampled).
 *
 * Options: --seconds N, --no-baseline (development: the loaded phase only), --connections N, --timeout-s N (420, per edition), --limit-mb N, --no-write;
 * --doc rewrites the Load block of docs/reliability.md from bench/results/load-<date>.json (--date, default the latest).
 * Writes bench/results/load-<UTC date>.json (both modes in one file; a mode run again replaces its part).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { QUEUE_PREFIX } from '../src/jobs/bullmq.ts';
import { QUEUES } from '../src/jobs/queue.ts';
import { startChaosWorld, startEditionViaApi, startStack } from './lib/chaos-stack.ts';
import type { ChaosShape, ChaosStack, ChaosWorld, Role } from './lib/chaos-stack.ts';
import { cliArgs } from './lib/cli-args.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { startMemorySampler } from './lib/edition-world-memory.ts';
import type { MemoryPeaks } from './lib/edition-world-memory.ts';
import { sleep, useEntry } from './lib/edition-world-procs.ts';
import { serveWorld } from './lib/edition-world-sites.ts';
import { latestPastEdition, planWorld } from './lib/edition-world.ts';
import { cgroupAvailable, createMemoryCgroup } from './lib/load-cgroup.ts';
import type { CgroupReading } from './lib/load-cgroup.ts';
import { checkRuns, seedHistory, waitRunsEnd } from './lib/load-edition.ts';
import type { LoadEditionCheck } from './lib/load-edition.ts';
import { driveRoutes, routeStats, totalStats } from './lib/load-traffic.ts';
import type { LoadRoute, RouteStats } from './lib/load-traffic.ts';
import { RESULTS_DIR, machine, round, say, writeResult } from './lib/results.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DOC = path.join(ROOT, 'docs/reliability.md');
const TZ = 'Asia/Shanghai';
const { flag, value, num } = cliArgs();
const SECONDS = num('seconds', 60);
const CONNECTIONS = num('connections', 200);
const TIMEOUT_MS = num('timeout-s', 420) * 1000;
const LIMIT_MB = num('limit-mb', 1024);

/** The console mode's world: the chaos trials' (an edition of about 20 s unloaded). */
const CONSOLE_SHAPE: ChaosShape = {
  sources: { rss: 10, web: 2 },
  stories: 40,
  items: 120,
  recipients: 40,
  latencyMs: 100,
  llmLatencyMs: 400,
  mailRatePerSec: 4,
};
/** The cgroup mode's world, per edition: sites rendered in Chromium, more news to extract and compose. */
const CGROUP_SHAPE: ChaosShape = {
  sources: { rss: 6, web: 2, dynamic: 4 },
  stories: 100,
  items: 400,
  recipients: 40,
  latencyMs: 100,
  llmLatencyMs: 400,
  mailRatePerSec: 20,
};

interface ConsoleResult {
  at: string;
  load_average_before: number[];
  load_average_after: number[];
  connections: number;
  seconds: number;
  shape: ChaosShape;
  history: string;
  seed_seconds: number;
  /** Null with --no-baseline (a development run). */
  baseline: { check: LoadEditionCheck; memory: MemoryPeaks[] } | null;
  loaded: {
    check: LoadEditionCheck;
    memory: MemoryPeaks[];
    /** When the edition ended, ms after the load began (the load began as the edition was started). */
    edition_end_ms: number;
    first_status: Record<string, number>;
    total: RouteStats;
    routes: RouteStats[];
    /** The same, counting only answers that came while the edition ran. */
    during_edition: { total: RouteStats; routes: RouteStats[] };
  };
  edition_time_ratio: number | null;
}

interface CgroupResult {
  at: string;
  load_average_before: number[];
  load_average_after: number[];
  limit_mb: number;
  worker_concurrency: number;
  shape: ChaosShape;
  dates: string[];
  check: LoadEditionCheck;
  cgroup: CgroupReading;
  /** Usage of the group sampled every 500 ms (MB). */
  usage_peak_sampled_mb: number;
  worker: { pids: number[]; restarts: number; exit: number | string | null; graceful: boolean | null };
  /** Most jobs the worker held at once, per queue and in all; and with both a collect-web job (Chromium) and a compose running. */
  active_max: Record<string, number>;
  heavy_overlap: { samples: number; max_collect_web_while_composing: number; max_composing: number };
  memory: MemoryPeaks[];
}

interface LoadFile {
  console?: ConsoleResult;
  cgroup?: CgroupResult;
}

const today = new Date().toISOString().slice(0, 10);
const resultName = `load-${value('date') ?? today}`;

function stored(name: string): LoadFile {
  const file = path.join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(file)) return {};
  const { console: c, cgroup } = JSON.parse(readFileSync(file, 'utf8')) as LoadFile;
  return { console: c, cgroup };
}

function latestResult(): string {
  const names = readdirSync(RESULTS_DIR)
    .filter((f) => /^load-\d{4}-\d\d-\d\d\.json$/.test(f))
    .sort();
  if (!names.length) throw new Error('no bench/results/load-*.json yet');
  return names.at(-1)!.replace(/\.json$/, '');
}

const loadAverage = () => machine().load_average;

/** The console's pages (an admin token) and the probes, for a run under way and the seeded history. */
function consoleRoutes(runId: number, h: { clusterId: number; ticker: string; date: string }, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  const page = (name: string, p: string): LoadRoute => ({ name, path: p, headers: auth });
  return [
    page('dashboard', '/'),
    page('runs', '/runs'),
    page('run (under way)', `/runs/${runId}`),
    page('reports', '/reports'),
    page('report', `/reports/${h.date}/detail`),
    page('sources', '/sources'),
    page('articles search', `/articles?q=${encodeURIComponent('贵州茅台')}`),
    page('story', `/stories/${h.clusterId}`),
    page('company', `/companies/${encodeURIComponent(h.ticker)}`),
    page('words', '/words'),
    page('recipients', '/recipients'),
    page('deliveries', '/deliveries'),
    page('status', '/admin/status'),
    page('usage', '/admin/usage'),
    { name: 'healthz', path: '/healthz' },
    { name: 'livez', path: '/livez' },
    // Answered, but without the database's figures (the scrape could not read the database in time).
    {
      name: 'metrics',
      path: '/metrics',
      degraded: (body: string) => !/^finrep_collector_up\{collector="database"\} 1$/m.test(body),
    },
  ];
}

/** A stack whose processes the sampler watches (restarts included). */
async function sampledStack(
  world: ChaosWorld,
  name: string,
  o: { roles?: readonly Role[]; extraEnv?: Record<string, string>; onSpawn?: (role: Role, pid: number) => void } = {},
) {
  const sampler = startMemorySampler(1000);
  const stack = await startStack(world, {
    name,
    restartDelayMs: 2000,
    roles: o.roles,
    // The production lock (the chaos trials shorten it): a CPU-starved worker must not lose its jobs.
    extraEnv: { JOB_LOCK_SEC: '30', ...o.extraEnv },
    onSpawn: (role, pid) => {
      o.onSpawn?.(role, pid);
      sampler.watch(role, pid);
    },
  });
  return { stack, sampler };
}

async function consoleMode(): Promise<ConsoleResult> {
  const date = latestPastEdition(new Date(), TZ);
  const window = editionWindow(date, { timeZone: TZ, cutoff: '06:00', windowHours: 24 });
  const before = loadAverage();
  const world = await startChaosWorld({ date, from: window.from, to: window.to, timeZone: TZ, shape: CONSOLE_SHAPE });
  const worldUrls = [...world.sites.storyOfUrl.keys()];
  const recipients = world.recipients.map((r) => r.email);
  try {
    // The history is seeded once, into a template: each phase's database is a copy of it.
    const template = `load_${process.pid}_history`;
    const t = performance.now();
    const history = await seedTemplate(world, template);
    const seedS = round((performance.now() - t) / 1000, 1);
    say(`history seeded in ${seedS} s`);
    world.pg.createDatabase = async (name) => {
      const admin = new pg.Client({ connectionString: world.pg.url() });
      await admin.connect();
      await admin.query(`create database ${name} template ${template}`).finally(() => admin.end());
      return world.pg.url(name);
    };
    const phase = async (label: 'baseline' | 'loaded') => {
      const { stack, sampler } = await sampledStack(world, `load_${process.pid}_${label}`);
      try {
        say(`${label}: stack up`);
        const runId = await startEditionViaApi(stack, date);
        const routes = consoleRoutes(runId, history, stack.token);
        const first: Record<string, number> = {};
        let traffic: Promise<Awaited<ReturnType<typeof driveRoutes>>> | null = null;
        if (label === 'loaded') {
          traffic = driveRoutes({ base: stack.webUrl, routes, connections: CONNECTIONS, seconds: SECONDS });
        }
        const ended = await waitRunsEnd(stack.databaseUrl, [runId], TIMEOUT_MS);
        // Measured from the moment the traffic began (waitRunsEnd starts its clock right after).
        const editionEndMs = ended.get(runId)!.endedAtMs;
        const load = traffic ? await traffic : null;
        for (const r of routes) {
          const res = await fetch(`${stack.webUrl}${r.path}`, { headers: r.headers, redirect: 'manual' });
          await res.arrayBuffer();
          first[r.name] = res.status;
        }
        const check = await checkRuns(stack.databaseUrl, {
          runIds: [runId],
          worldUrls,
          recipients,
          received: world.smtp.messages.slice(stack.smtpBase).flatMap((m) => m.envelope.to),
        });
        const memory = await sampler.stop();
        say(
          `${label}: run ${ended.get(runId)?.status} in ${check.runs[0]?.run_s} s; ${check.ok ? 'checks ok' : `FAILED: ${check.problems.join('; ')}`}`,
        );
        return { check, memory, load, routes, editionEndMs, first };
      } finally {
        await sampler.stop().catch(() => []);
        await stack.stop().catch(() => []);
      }
    };
    const baseline = flag('no-baseline') ? null : await phase('baseline');
    const loaded = await phase('loaded');
    const { samples } = loaded.load!;
    const routes = routeStats(loaded.routes, samples);
    const total = totalStats(samples);
    for (const r of routes)
      say(
        `  ${r.name.padEnd(16)} ${String(r.requests).padStart(6)} req, p50 ${r.p50_ms} p95 ${r.p95_ms} p99 ${r.p99_ms} ms, ${r.failed} failed ${JSON.stringify(r.statuses)}${Object.keys(r.errors).length ? ` ${JSON.stringify(r.errors)}` : ''}${r.degraded === undefined ? '' : `, ${r.degraded} degraded`}`,
      );
    say(
      `  all ${total.requests} req (${total.rps}/s), p95 ${total.p95_ms} ms, ${total.failed} failed; edition ${loaded.check.runs[0]?.run_s} s loaded vs ${baseline?.check.runs[0]?.run_s ?? '–'} s`,
    );
    return {
      at: new Date().toISOString(),
      load_average_before: before,
      load_average_after: loadAverage(),
      connections: CONNECTIONS,
      seconds: SECONDS,
      shape: CONSOLE_SHAPE,
      seed_seconds: seedS,
      history:
        "console benchmark seed: 100,000 articles, 60,000 stories, 30 editions, 10,000 recipients (disabled), 300,000 delivery rows, 100,000 LLM usage rows; articles, stories, extractions, editions and runs moved 40 days back, out of the edition's window",
      baseline: baseline && { check: baseline.check, memory: baseline.memory },
      loaded: {
        check: loaded.check,
        memory: loaded.memory,
        edition_end_ms: loaded.editionEndMs,
        first_status: loaded.first,
        total,
        routes,
        during_edition: {
          total: totalStats(samples, 0, loaded.editionEndMs),
          routes: routeStats(loaded.routes, samples, 0, loaded.editionEndMs),
        },
      },
      edition_time_ratio: baseline
        ? round((loaded.check.runs[0]?.run_s ?? 0) / (baseline.check.runs[0]?.run_s ?? 1), 2)
        : null,
    };
  } finally {
    await world.close();
  }
}

/** A database migrated and seeded with the console benchmark's history, for `create database … template`. */
async function seedTemplate(world: ChaosWorld, name: string) {
  const url = await world.pg.createDatabase(name);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-load-'));
  try {
    const database = await openDatabase({ databaseUrl: url, dataDir });
    await database.close();
    return await seedHistory(url);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function cgroupMode(): Promise<CgroupResult> {
  if (!cgroupAvailable()) throw new Error('--cgroup: no cgroup v1 memory controller at /sys/fs/cgroup/memory');
  const today = latestPastEdition(new Date(), TZ);
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const win = (d: string) => editionWindow(d, { timeZone: TZ, cutoff: '06:00', windowHours: 24 });
  const before = loadAverage();
  // Yesterday's news on the chaos world's sites, today's on a second set of sites (keys of their own).
  const world = await startChaosWorld({
    date: yesterday,
    ...fromTo(win(yesterday)),
    timeZone: TZ,
    shape: CGROUP_SHAPE,
  });
  const planB = planWorld({
    ...fromTo(win(today)),
    timeZone: TZ,
    stories: CGROUP_SHAPE.stories,
    items: CGROUP_SHAPE.items,
    sites: { dynamic: 0, ...CGROUP_SHAPE.sources },
    seed: 20261206,
  });
  for (const s of planB.sites) s.key = s.key.replace('bench:', 'bench-b:');
  const WORKER_CONCURRENCY = 2;
  const cg = await Promise.resolve()
    .then(() => createMemoryCgroup(`finrep-load-${process.pid}`, LIMIT_MB))
    .catch(async (err: unknown) => {
      await world.close();
      throw err;
    });
  const sitesB = await serveWorld(planB, { latencyMs: CGROUP_SHAPE.latencyMs, timeZone: TZ });
  try {
    const { stack, sampler } = await sampledStack(world, `load_${process.pid}_cgroup`, {
      roles: ['web', 'worker-1', 'beat'],
      extraEnv: { WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) },
      onSpawn: (role, pid) => {
        if (role === 'worker-1') cg.add(pid);
      },
    });
    let result: CgroupResult;
    try {
      const database = await openDatabase({ databaseUrl: stack.databaseUrl, dataDir: stack.dataDir, migrate: false });
      await sourcesQ.upsertSources(database.db, sitesB.seeds).finally(() => database.close());
      const watch = watchJobs(stack, cg);
      const runIds = await Promise.all([startEditionViaApi(stack, yesterday), startEditionViaApi(stack, today)]);
      say(`cgroup: editions ${yesterday} and ${today} started (runs ${runIds.join(', ')}), worker in ${cg.name}`);
      await waitRunsEnd(stack.databaseUrl, runIds, TIMEOUT_MS);
      const jobs = await watch.stop();
      const check = await checkRuns(stack.databaseUrl, {
        runIds,
        worldUrls: [...world.sites.storyOfUrl.keys(), ...sitesB.storyOfUrl.keys()],
        recipients: world.recipients.map((r) => r.email),
        received: world.smtp.messages.slice(stack.smtpBase).flatMap((m) => m.envelope.to),
      });
      const memory = await sampler.stop();
      const w = stack.procs['worker-1'];
      const reading = cg.read();
      const stops = await stack.stop();
      const stop = stops.find((s) => s.role === 'worker-1');
      result = {
        at: new Date().toISOString(),
        load_average_before: before,
        load_average_after: loadAverage(),
        limit_mb: LIMIT_MB,
        worker_concurrency: WORKER_CONCURRENCY,
        shape: CGROUP_SHAPE,
        dates: [yesterday, today],
        check,
        cgroup: reading,
        usage_peak_sampled_mb: jobs.usagePeakMb,
        worker: { pids: w.pids, restarts: w.restarts, exit: stop?.exit ?? null, graceful: stop?.graceful ?? null },
        active_max: jobs.activeMax,
        heavy_overlap: jobs.heavy,
        memory,
      };
    } catch (err) {
      await sampler.stop().catch(() => []);
      await stack.stop().catch(() => []);
      throw err;
    }
    say(
      `cgroup: peak ${result.cgroup.max_usage_mb} MB of ${result.cgroup.limit_mb} MB, failcnt ${result.cgroup.failcnt}, oom_kill ${result.cgroup.oom_kill}; ` +
        `worker restarts ${result.worker.restarts}, exit ${result.worker.exit}; active max ${JSON.stringify(result.active_max)}; ` +
        `runs ${result.check.runs.map((r) => `${r.date} ${r.status} ${r.run_s} s`).join(', ')}; ${result.check.ok ? 'checks ok' : `FAILED: ${result.check.problems.join('; ')}`}`,
    );
    return result;
  } finally {
    await sitesB.close();
    await world.close();
    // The group is removed once its processes are gone (they were stopped above).
    for (let i = 0; i < 20; i++) {
      try {
        cg.remove();
        break;
      } catch {
        await sleep(500);
      }
    }
  }
}

const fromTo = (w: { from: Date; to: Date }) => ({ from: w.from, to: w.to });

/**
 * Samples, every 500 ms, the jobs BullMQ holds active per queue (all of them the cgroup's one worker's), the
 * stages running in the database, and the group's usage.
 */
function watchJobs(stack: ChaosStack, cg: ReturnType<typeof createMemoryCgroup>) {
  const redis = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  const activeMax: Record<string, number> = { all: 0 };
  const heavy = { samples: 0, max_collect_web_while_composing: 0, max_composing: 0 };
  let usagePeakMb = 0;
  let stopped = false;
  const loop = (async () => {
    await db.connect();
    while (!stopped) {
      const counts = await Promise.all(QUEUES.map((q) => redis.llen(`${QUEUE_PREFIX}:${q}:active`)));
      let all = 0;
      QUEUES.forEach((q, i) => {
        activeMax[q] = Math.max(activeMax[q] ?? 0, counts[i]!);
        all += counts[i]!;
      });
      activeMax.all = Math.max(activeMax.all!, all);
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from run_stages where stage = 'compose' and finished_at is null`,
      );
      const composing = rows[0]!.n;
      const web = counts[QUEUES.indexOf('collect-web')]!;
      heavy.samples++;
      heavy.max_composing = Math.max(heavy.max_composing, composing);
      if (composing > 0) heavy.max_collect_web_while_composing = Math.max(heavy.max_collect_web_while_composing, web);
      usagePeakMb = Math.max(usagePeakMb, cg.read().usage_mb);
      await sleep(500);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.catch(() => {});
      redis.disconnect();
      await db.end().catch(() => {});
      return { activeMax, heavy, usagePeakMb };
    },
  };
}

/** The Load block of docs/reliability.md. */
function loadDoc(out: LoadFile): string {
  const lines = ['## Load', ''];
  const c = out.console;
  if (c) {
    const b = c.baseline?.check.runs[0];
    const l = c.loaded.check.runs[0];
    const row = (r: RouteStats) =>
      `| ${r.name} | \`${r.path.length > 40 ? `${r.path.slice(0, 37)}…` : r.path}\` | ${r.requests} | ${r.rps} | ${r.p50_ms} | ${r.p95_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.failed} (${round(r.error_rate * 100, 2)} %) |`;
    lines.push(
      `### The console and /healthz under ${c.connections} connections for ${c.seconds} s, during an edition`,
      '',
      `Run ${c.at.slice(0, 16).replace('T', ' ')} UTC; load average ${c.load_average_before.join(' / ')} before, ${c.load_average_after.join(' / ')} after (2 cores, shared with other work).`,
      `The production shape of the chaos trials (web, 2 workers, beat; the compiled build; PostgreSQL 15 and Redis of their own), its database seeded with the console benchmark's history (${c.history}).`,
      `The edition (${c.shape.sources.rss} feeds + ${c.shape.sources.web} sites, ${c.shape.items} items of ${c.shape.stories} stories, ${c.shape.recipients} recipients at ${c.shape.mailRatePerSec}/s) was started through the API and at the same moment ${c.connections} keep-alive connections on loopback (undici, one request in flight each, asking again at once) walked the routes below round-robin for ${c.seconds} s; the load generator ran on the same 2 cores.`,
      '',
      `| route | path | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | failed |`,
      '|---|---|--:|--:|--:|--:|--:|--:|--:|',
      ...c.loaded.routes.map(row),
      row(c.loaded.total),
      '',
      `While the edition ran (its first ${round(c.loaded.edition_end_ms / 1000, 1)} s): ${c.loaded.during_edition.total.requests} requests, p50 ${c.loaded.during_edition.total.p50_ms} ms, p95 ${c.loaded.during_edition.total.p95_ms} ms, p99 ${c.loaded.during_edition.total.p99_ms} ms, ${c.loaded.during_edition.total.failed} failed (per route in the JSON).`,
      '',
      `The edition under load: run ${l?.status} in ${l?.run_s} s against ${b?.run_s ?? '–'} s without load (×${c.edition_time_ratio}); ` +
        `articles ${c.loaded.check.articles.distinct}/${c.loaded.check.articles.expected} (${c.loaded.check.articles.duplicated} twice), mails ${c.loaded.check.mails.received} for ${c.loaded.check.mails.recipients} recipients (${c.loaded.check.mails.duplicated} duplicated, ${c.loaded.check.mails.missing} missing), delivery_log ${JSON.stringify(l?.delivery_log)}; ` +
        `${c.loaded.check.ok ? 'every check passed' : `**FAILED**: ${c.loaded.check.problems.join('; ')}`}. Web RSS peak ${peak(c.loaded.memory, 'web')} MB under load (${c.baseline ? peak(c.baseline.memory, 'web') : '–'} MB without; seed limit 512 MB).`,
      '',
    );
  }
  const g = out.cgroup;
  if (g) {
    const workerMem = g.memory.find((m) => m.role === 'worker-1');
    lines.push(
      `### A worker with two heavy jobs at once in a ${g.limit_mb} MB memory cgroup`,
      '',
      `Run ${g.at.slice(0, 16).replace('T', ' ')} UTC; load average ${g.load_average_before.join(' / ')} before, ${g.load_average_after.join(' / ')} after.`,
      `One \`finrep worker\` (WORKER_CONCURRENCY=${g.worker_concurrency}) in a cgroup v1 memory group limited to ${g.limit_mb} MB (memory + swap alike: no paging out), as docker-compose.prod.yml limits the worker; its Chromium starts inside the group. Web and beat outside it.`,
      `Two editions (${g.dates.join(' and ')}) started at once, each with its own news on ${g.shape.sources.rss} feeds, ${g.shape.sources.web} static and ${g.shape.sources.dynamic ?? 0} JavaScript-rendered sites (${g.shape.items} items of ${g.shape.stories} stories an edition), ${g.shape.recipients} recipients: the worker collects (Chromium), extracts and composes for both at the same time.`,
      '',
      '| measure | value |',
      '|---|---|',
      `| cgroup peak (memory.max_usage_in_bytes, page cache included) | **${g.cgroup.max_usage_mb} MB** of ${g.cgroup.limit_mb} MB |`,
      `| at the end: anonymous (rss) / page cache | ${g.cgroup.rss_mb} / ${g.cgroup.cache_mb} MB |`,
      `| memory.failcnt (limit reached, pages reclaimed) | ${g.cgroup.failcnt} |`,
      `| OOM kills (memory.oom_control oom_kill) / under_oom | ${g.cgroup.oom_kill} / ${g.cgroup.under_oom} |`,
      `| worker restarts; exit on stop | ${g.worker.restarts}; ${g.worker.exit}${g.worker.graceful ? ' (graceful)' : ''} |`,
      `| worker RSS peak: Node / Chromium (summed) / PSS together | ${workerMem?.node_mb ?? '–'} / ${workerMem?.chromium_mb ?? '–'} / ${workerMem?.total_pss_mb ?? '–'} MB |`,
      `| jobs held at once (max over 500 ms samples) | ${Object.entries(g.active_max)
        .filter(([, n]) => n > 0)
        .map(([q, n]) => `${q} ${n}`)
        .join(', ')} |`,
      `| composes at once; collect-web jobs (Chromium) while a compose ran | ${g.heavy_overlap.max_composing}; ${g.heavy_overlap.max_collect_web_while_composing} |`,
      `| editions | ${g.check.runs.map((r) => `${r.date}: ${r.status} in ${r.run_s} s, ${r.report_items} items, delivery_log ${JSON.stringify(r.delivery_log)}`).join('; ')} |`,
      `| exactly once | articles ${g.check.articles.distinct}/${g.check.articles.expected} (${g.check.articles.duplicated} twice); mails ${g.check.mails.received} for ${g.check.mails.recipients} recipients × ${g.check.mails.editions} editions (${g.check.mails.duplicated} duplicated, ${g.check.mails.missing} missing) — ${g.check.ok ? 'ok' : `**FAILED**: ${g.check.problems.join('; ')}`} |`,
      '',
    );
  }
  lines.push(
    'Written by `npm run bench:load` (the console) and `npm run bench:load -- --cgroup` (the memory cgroup); raw numbers in `bench/results/load-<date>.json`.',
  );
  return lines.join('\n');
}

const peak = (memory: MemoryPeaks[], role: string) =>
  Math.max(0, ...memory.filter((m) => m.role === role).map((m) => m.node_mb));

async function main(): Promise<void> {
  if (flag('doc')) {
    const name = value('date') ? resultName : latestResult();
    updateDocBlock(DOC, 'load', loadDoc(stored(name)));
    say(`→ ${DOC} (from bench/results/${name}.json)`);
    return;
  }
  useEntry('dist');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const part = flag('cgroup') ? { cgroup: await cgroupMode() } : { console: await consoleMode() };
  // Read only now: the other mode may have written its part meanwhile.
  const out = { ...stored(resultName), ...part };
  if (flag('no-write')) say('(--no-write: results not saved)');
  else {
    say(`→ ${writeResult(resultName, out)}`);
    updateDocBlock(DOC, 'load', loadDoc(out));
    say(`→ ${DOC}`);
  }
}

await main();
