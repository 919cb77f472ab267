/**
 * Start-up of the finrep command: wall time, CPU time (user + system, all threads) and peak RSS of each
 * command, run as an operator runs it — the compiled entry (`node dist/main.js`), `bin/finrep.js` over that
 * build, and `bin/finrep.js` on the TypeScript sources through tsx (a clone without a build) — and, as the
 * reference for the listing commands, PGlite's own cost: a Node process that opens the same embedded database
 * (same settings) and queries it. Also which packages each command loads (a separate run with a resolve hook,
 * not timed), and a worker's time to "worker started" with the packages it holds while idle (on a
 * redis-server of its own, when one is installed).
 *
 * Everything runs from a snapshot of the sources in node_modules/.cache (built there), so edits and builds in
 * the working tree during the run change nothing. Budgets: `--help` / `--version` ≤ 300 ms; listing commands
 * ≤ PGlite's open + query + 300 ms (medians of wall time).
 * Options: --runs N (5).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/db/client.ts';
import { editionsQ, recipientsQ, sourcesQ } from '../src/db/queries/index.ts';
import { round, say } from './lib/results.ts';
import { freePort } from '../test/helpers/private-servers.ts';
import { buildSnapshot } from './lib/snapshot.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
// Inside node_modules, so that the snapshot's modules resolve the project's packages.
const CACHE = path.join(ROOT, 'node_modules/.cache/finrep-bench-startup');
const SNAP = path.join(CACHE, 'snapshot');

/** PGlite's settings in finrep (src/db/client.ts), for a like-for-like reference. */
const PGLITE_SETTINGS = [
  'shared_buffers=32MB',
  'wal_buffers=1MB',
  'wal_level=minimal',
  'max_wal_senders=0',
  'full_page_writes=off',
];

/** Packages a listing command has no use for; `--help` should load none but commander. */
const HEAVY = [
  'playwright-core',
  'exceljs',
  'echarts',
  '@resvg/resvg-js',
  'react',
  'react-dom',
  '@react-email/render',
  'openai',
  'bullmq',
  'ioredis',
  '@node-rs/jieba',
  'pino-pretty',
  'nodemailer',
  'cheerio',
  'linkedom',
  'undici',
  '@mozilla/readability',
  'pg',
];

// Peak RSS from VmHWM, the high-water mark of this process's own memory: getrusage's maxrss also keeps the
// peak of the process it was forked from (the benchmark), carried over exec.
const PROBE = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const out = process.env.FINREP_BENCH_PROBE_OUT;
process.on('exit', () => {
  const u = process.resourceUsage();
  const hwm = existsSync('/proc/self/status') ? Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) : u.maxRSS;
  writeFileSync(out, JSON.stringify({ cpu_us: u.userCPUTime + u.systemCPUTime, max_rss_kb: hwm }));
});
`;
/** The modules a listing command needs before PGlite (configuration, logger, schema, queries, drizzle's PGlite driver), imported only. */
const MODULES_ONLY = `await import('commander');
const { loadConfig } = await import('./snapshot/dist/config/index.js');
loadConfig();
await import('./snapshot/dist/log.js');
await import('./snapshot/dist/db/client.js');
await import('./snapshot/dist/db/queries/index.js');
await import('./snapshot/dist/db/pglite-client.js');
await import('drizzle-orm/pglite');
await import('drizzle-orm/pglite/migrator');
`;
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.FINREP_BENCH_MODULES_OUT, r.url + '\\n');
  return r;
}
`;
const REGISTER = `import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n`;
const PGLITE_REF = `import { PGlite } from '@electric-sql/pglite';
const settings = ${JSON.stringify(PGLITE_SETTINGS)}.flatMap((s) => ['-c', s]);
const pg = await PGlite.create(process.argv[2], { startParams: [...PGlite.defaultStartParams, ...settings] });
await pg.query('select * from sources order by id');
await pg.close();
`;

interface Sample {
  wall_ms: number;
  cpu_ms: number;
  peak_rss_mb: number;
  code: number | null;
}
interface Measured {
  runs: number;
  wall_ms_median: number;
  wall_ms_min: number;
  cpu_ms_median: number;
  peak_rss_mb_median: number;
  peak_rss_mb_max: number;
  exit_codes: number[];
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Runs `node [nodeArgs] argv` to its end (or until `until` matches stderr, then SIGTERM); wall time measured here, CPU and peak RSS by the probe. */
function runOnce(
  argv: string[],
  env: Record<string, string>,
  o: { nodeArgs?: string[]; until?: RegExp } = {},
): Promise<Sample & { stderr: string; readyMs: number | null }> {
  const out = path.join(CACHE, `probe-${process.pid}.json`);
  rmSync(out, { force: true });
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', path.join(CACHE, 'probe.mjs'), ...(o.nodeArgs ?? []), ...argv], {
    cwd: CACHE,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, FINREP_BENCH_PROBE_OUT: out },
  });
  let stderr = '';
  let readyMs: number | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (o.until && readyMs === null && o.until.test(stderr)) {
      readyMs = performance.now() - started;
      // A moment for the command to put its signal handlers in place, then the graceful stop.
      setTimeout(() => child.kill('SIGTERM'), 1000);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - started;
      if (!existsSync(out))
        return reject(new Error(`no probe output from ${argv.join(' ')} (exit ${code}): ${stderr.slice(-500)}`));
      const p = JSON.parse(readFileSync(out, 'utf8')) as { cpu_us: number; max_rss_kb: number };
      resolve({ wall_ms: wall, cpu_ms: p.cpu_us / 1000, peak_rss_mb: p.max_rss_kb / 1024, code, stderr, readyMs });
    });
  });
}

/** One warm-up run (tsx's transform cache, the OS's file cache), then `runs` measured ones. */
async function measure(argv: string[], env: Record<string, string>, runs: number): Promise<Measured> {
  await runOnce(argv, env);
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await runOnce(argv, env));
  return summarise(samples);
}

function summarise(samples: Sample[]): Measured {
  return {
    runs: samples.length,
    wall_ms_median: round(median(samples.map((s) => s.wall_ms)), 0),
    wall_ms_min: round(Math.min(...samples.map((s) => s.wall_ms)), 0),
    cpu_ms_median: round(median(samples.map((s) => s.cpu_ms)), 0),
    peak_rss_mb_median: round(median(samples.map((s) => s.peak_rss_mb)), 0),
    peak_rss_mb_max: round(Math.max(...samples.map((s) => s.peak_rss_mb)), 0),
    exit_codes: [...new Set(samples.map((s) => s.code ?? -1))],
  };
}

/** The packages a run resolves (a resolve hook logs every URL; only the main thread's imports pass through it). */
async function packagesOf(argv: string[], env: Record<string, string>, until?: RegExp): Promise<string[]> {
  const log = path.join(CACHE, `modules-${process.pid}.log`);
  rmSync(log, { force: true });
  await runOnce(
    argv,
    { ...env, FINREP_BENCH_MODULES_OUT: log },
    { nodeArgs: ['--import', path.join(CACHE, 'register.mjs')], until },
  );
  const urls = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  const names = urls
    .map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1])
    .filter((n): n is string => !!n && n !== '.cache');
  return [...new Set(names)].sort();
}

function snapshot(): void {
  buildSnapshot(ROOT, SNAP);
}

/** Sources, recipients and an edition, so that the listing commands have rows to print. */
async function seed(dataDir: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: null, dataDir });
  try {
    await sourcesQ.upsertSources(
      database.db,
      Array.from({ length: 30 }, (_, i) => ({
        key: `bench:${i}`,
        name: `来源${i}`,
        kind: i % 3 === 0 ? ('web' as const) : ('rss' as const),
        url: `https://example${i}.cn/feed`,
        rules: null,
        weight: 1,
        timezone: null,
      })),
    );
    await recipientsQ.upsertRecipients(
      database.db,
      Array.from({ length: 200 }, (_, i) => ({ email: `r${i}@example.com`, name: `收件人${i}`, groups: ['研究部'] })),
    );
    await editionsQ.ensureEdition(
      database.db,
      '2025-11-10',
      new Date('2025-11-09T22:00:00Z'),
      new Date('2025-11-10T22:00:00Z'),
    );
  } finally {
    await database.close();
  }
}

const COMMANDS: { name: string; argv: string[]; listing: boolean }[] = [
  { name: '--help', argv: ['--help'], listing: false },
  { name: '--version', argv: ['--version'], listing: false },
  { name: 'sources', argv: ['sources'], listing: true },
  { name: 'recipients list', argv: ['recipients', 'list'], listing: true },
  { name: 'deliveries list', argv: ['deliveries', 'list', '--edition', '2025-11-10'], listing: true },
];

export async function run(args: string[]): Promise<object> {
  const runs = option(args, 'runs', 5);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(path.join(CACHE, 'probe.mjs'), PROBE);
  writeFileSync(path.join(CACHE, 'hooks.mjs'), HOOKS);
  writeFileSync(path.join(CACHE, 'register.mjs'), REGISTER);
  writeFileSync(path.join(CACHE, 'pglite-ref.mjs'), PGLITE_REF);
  writeFileSync(path.join(CACHE, 'modules-only.mjs'), MODULES_ONLY);
  say('  building a snapshot of the sources …');
  snapshot();
  const dataDir = mkdtempSync(path.join(CACHE, 'data-'));
  const env = { FINREP_DATA_DIR: dataDir };
  const entries = {
    dist: [path.join(SNAP, 'dist/main.js')],
    'bin (build)': [path.join(SNAP, 'bin/finrep.js')],
    'bin (tsx)': [path.join(SNAP, 'bin/finrep.js')],
  };
  const stamp = path.join(SNAP, 'dist/build.json');
  try {
    // A first run creates and migrates the embedded database.
    const firsts: Sample[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const fresh = mkdtempSync(path.join(CACHE, 'first-'));
      firsts.push(await runOnce([...entries.dist, 'sources'], { FINREP_DATA_DIR: fresh }));
      rmSync(fresh, { recursive: true, force: true });
    }
    await seed(dataDir);
    const reference = await measure([path.join(CACHE, 'pglite-ref.mjs'), path.join(dataDir, 'pglite')], {}, runs);
    say(
      `  PGlite open + query (reference): ${reference.wall_ms_median} ms wall, ${reference.cpu_ms_median} ms CPU, ${reference.peak_rss_mb_median} MB`,
    );
    const modulesOnly = await measure([path.join(CACHE, 'modules-only.mjs')], env, runs);
    say(
      `  a listing command's modules, imported only: ${modulesOnly.wall_ms_median} ms wall, ${modulesOnly.cpu_ms_median} ms CPU, ${modulesOnly.peak_rss_mb_median} MB`,
    );

    const commands: Record<string, { entries: Record<string, Measured>; packages: string[] }> = {};
    for (const c of COMMANDS) {
      const row: Record<string, Measured> = {};
      for (const [mode, entry] of Object.entries(entries)) {
        if (mode === 'bin (tsx)') renameSync(stamp, `${stamp}.off`);
        try {
          row[mode] = await measure([...entry, ...c.argv], env, runs);
        } finally {
          if (mode === 'bin (tsx)') renameSync(`${stamp}.off`, stamp);
        }
      }
      const packages = await packagesOf([...entries.dist, ...c.argv], env);
      commands[c.name] = { entries: row, packages };
      say(
        `  ${c.name.padEnd(16)} ${Object.entries(row)
          .map(([m, r]) => `${m} ${r.wall_ms_median} ms / ${r.cpu_ms_median} ms CPU / ${r.peak_rss_mb_median} MB`)
          .join(' · ')}`,
      );
      say(`  ${''.padEnd(16)} loads ${packages.join(', ')}`);
    }

    const worker = await measureWorker(entries.dist, dataDir, runs);
    const budgets = COMMANDS.map((c) => {
      const limit = c.listing ? reference.wall_ms_median + 300 : 300;
      const got = commands[c.name]!.entries.dist!.wall_ms_median;
      return {
        command: c.name,
        entry: 'dist',
        budget_ms: limit,
        wall_ms_median: got,
        ok: got <= limit,
        heavy_packages: commands[c.name]!.packages.filter((p) => HEAVY.includes(p)),
      };
    });
    for (const b of budgets)
      say(
        `  ${b.ok ? 'ok  ' : 'OVER'} ${b.command}: ${b.wall_ms_median} ms (budget ${b.budget_ms} ms)${b.heavy_packages.length ? `; heavy: ${b.heavy_packages.join(', ')}` : ''}`,
      );
    return {
      description:
        'wall time (spawn to exit), CPU time (user + system, all threads) and peak RSS (getrusage maxrss) per command; medians after one warm-up run',
      runs,
      reference_pglite_open_query: reference,
      listing_modules_imported_only: modulesOnly,
      first_run_sources: summarise(firsts),
      commands,
      worker,
      budgets,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `finrep worker` to its "worker started" line, on a redis-server of its own; null without redis-server. */
async function measureWorker(entry: string[], dataDir: string, runs: number): Promise<object | null> {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const spawned = await new Promise<boolean>((resolve) => {
    redis.on('error', () => resolve(false));
    redis.on('spawn', () => resolve(true));
  });
  if (!spawned) return null;
  try {
    await new Promise((r) => setTimeout(r, 300));
    const env = { FINREP_DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${port}/0`, WORKER_GRACE_SEC: '0' };
    const until = /worker started/;
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await runOnce([...entry, 'worker'], env, { until }));
    const ready = samples.map((s) => s.readyMs ?? Number.NaN);
    const packages = await packagesOf([...entry, 'worker'], env, until);
    say(
      `  worker: started in ${round(median(ready), 0)} ms, peak ${round(median(samples.map((s) => s.peak_rss_mb)), 0)} MB; holds ${packages.join(', ')}`,
    );
    return { ready_ms_median: round(median(ready), 0), ...summarise(samples), packages };
  } finally {
    redis.kill('SIGKILL');
  }
}
