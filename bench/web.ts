/**
 * `npm run bench -- web [--seconds N] [--concurrency N]… ` (or `npm run bench:web -- … [--only /path,…]`, a path
 * ending in `$` exactly, any other as a prefix: `--only '/$,/runs'`): the
 * console's pages under load. Seeds a fresh PostgreSQL database with 100,000 articles (each with its story and
 * extraction), 1,000 sources, 10,000 recipients and 30 editions with their deliveries (300,000 rows) and LLM
 * usage; starts `finrep web` as production runs it — a child process on the compiled build (`node
 * dist/main.js web`, from a snapshot of the sources, like bench/web-startup.ts) with Redis; signs in; drives
 * each GET page of the console with autocannon for a fixed time at each concurrency, recording every answer's
 * time (p50/p95/p99), the non-2xx answers and errors per route, and the web process's RSS (VmRSS from /proc,
 * every 100 ms: the peak per route and over the run). A page answering 404 is skipped (not built yet).
 * Goals: page p95 ≤ 50 ms, RSS ≤ 150 MB. Writes bench/results/web-<date>.json and the table of
 * docs/benchmarks-web.md.
 */
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { loadavg } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { createUser } from '../src/db/queries/users.ts';
import { hashPassword } from '../src/web/auth/passwords.ts';
import { freePort } from '../test/helpers/private-servers.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { quantile, round, say, writeResult } from './lib/results.ts';
import { cpuMs, rssMb } from './lib/proc-stats.ts';
import { buildSnapshot } from './lib/snapshot.ts';
import { seedConsole } from './lib/console-seed.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SNAP = path.join(ROOT, 'node_modules/.cache/finrep-bench-web');
const PG_ADMIN = process.env.FINREP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FINREP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const GOALS = { p95_ms: 50, rss_mb: 150 };
/** The web service's NODE_OPTIONS in docker-compose.prod.yml (a 4 MB young generation): production's process. */
const WEB_NODE_OPTIONS = '--max-semi-space-size=4';
const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-password-0123456789';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

/**
 * Every GET page of the console, one line each: a path, or a function of the seeded data for pages of one
 * thing. Add a page here when it lands; one that answers 404 is skipped and listed as such.
 */
const ROUTES: { name: string; path: string | ((s: Seeded) => string) }[] = [
  { name: 'dashboard', path: '/' },
  { name: 'runs', path: '/runs' },
  { name: 'run', path: (s) => `/runs/${s.runId}` },
  { name: 'sources', path: '/sources' },
  { name: 'source', path: (s) => `/sources/${s.sourceId}` },
  { name: 'articles', path: '/articles' },
  { name: 'articles search', path: `/articles?q=${encodeURIComponent('贵州茅台')}` },
  { name: 'articles filtered', path: '/articles?sentiment=negative&category=company' },
  { name: 'story', path: (s) => `/stories/${s.clusterId}` },
  { name: 'companies', path: '/companies' },
  { name: 'company', path: (s) => `/companies/${encodeURIComponent(s.ticker)}` },
  { name: 'company trend', path: (s) => `/companies/${encodeURIComponent(s.ticker)}/trend` },
  { name: 'words', path: '/words' },
  { name: 'words keywords', path: '/words/keywords' },
  { name: 'reports', path: '/reports' },
  { name: 'report', path: (s) => `/reports/${s.date}/detail` },
  { name: 'recipients', path: '/recipients' },
  { name: 'recipients search', path: '/recipients?q=r777' },
  { name: 'deliveries', path: '/deliveries' },
  { name: 'deliveries failed', path: (s) => `/deliveries?edition=${s.date}&status=failed` },
  { name: 'settings', path: '/settings' },
  { name: 'status', path: '/admin/status' },
  { name: 'status chart', path: '/admin/status/charts/database?range=7d' },
  { name: 'usage', path: '/admin/usage' },
  { name: 'usage chart', path: '/admin/usage/cost.json' },
  { name: 'audit', path: '/audit' },
];

export interface Seeded {
  runId: number;
  sourceId: number;
  clusterId: number;
  ticker: string;
  date: string;
}

/** Signs in through the real form; returns the Cookie header of the session. */
async function signIn(base: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const login = await fetch(`${base}/login`);
  keep(login);
  const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1];
  if (!token) throw new Error('no CSRF token on /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ _csrf: token, email: EMAIL, password: PASSWORD, next: '/' }).toString(),
  });
  keep(res);
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return cookie();
}

/** One route at one concurrency for `seconds`: every answer's time, the failures, the RSS peak. */
async function load(url: string, cookie: string, connections: number, seconds: number, pid: number) {
  const times: number[] = [];
  const cpu0 = cpuMs(pid);
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
  // Without a callback autocannon returns its emitter, which is also a promise of the result.
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    headers: { cookie },
    timeout: 10,
  }) as unknown as Promise<autocannon.Result> & EventEmitter;
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => times.push(ms));
  const result = await instance;
  clearInterval(sampler);
  times.sort((a, b) => a - b);
  return {
    connections,
    requests: times.length,
    rps: round(times.length / seconds, 1),
    p50_ms: round(quantile(times, 0.5), 1),
    p95_ms: round(quantile(times, 0.95), 1),
    p99_ms: round(quantile(times, 0.99), 1),
    // The server's CPU per answer: what a loaded machine blurs least (wall times include waiting for a core).
    cpu_ms_per_request: times.length ? round((cpuMs(pid) - cpu0) / times.length, 1) : null,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    rss_peak_mb: round(peak, 1),
  };
}

/** The benchmark (bench/run.ts calls it; `npm run bench:web` runs it alone). */
export async function run(args: string[] = []): Promise<object> {
  const seconds = Number(option(args, 'seconds') ?? 5);
  const asked = args.flatMap((a, i) => (args[i - 1] === '--concurrency' ? [Number(a)] : []));
  const levels = asked.length ? asked : [1, 8];
  const only = option(args, 'only')?.split(',');
  say('building the snapshot (node dist/main.js) …');
  const main = buildSnapshot(ROOT, SNAP);
  const dbName = `finrep_bench_console_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = Object.assign(new URL(PG_ADMIN), { pathname: `/${dbName}` }).toString();
  const port = await freePort();
  let child: ReturnType<typeof spawn> | null = null;
  try {
    const database = await openDatabase({ databaseUrl: url, dataDir: path.join(SNAP, 'data') });
    await createUser(database.db, { email: EMAIL, role: 'admin', passwordHash: await hashPassword(PASSWORD) });
    await database.close();
    const t0 = performance.now();
    const seeded = await seedConsole(url);
    const seedSec = round((performance.now() - t0) / 1000, 1);
    say(`seeded in ${seedSec} s: ${JSON.stringify(seeded)}`);
    child = spawn(process.execPath, [main, 'web', '--host', '127.0.0.1', '--port', String(port)], {
      env: {
        NODE_OPTIONS: WEB_NODE_OPTIONS,
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: url,
        REDIS_URL,
        JWT_SECRET_KEY: 'bench-secret-0123456789abcdef',
        FINREP_DATA_DIR: path.join(SNAP, 'data'),
        HEALTH_MIN_WORKERS: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`finrep web exited: ${stderr}`);
      if (
        await fetch(`${base}/livez`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 300) throw new Error('finrep web did not answer /livez within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const cookie = await signIn(base);
    const pid = child.pid!;
    const results: Record<string, unknown>[] = [];
    const skipped: { name: string; path: string; status: number }[] = [];
    for (const r of ROUTES) {
      const p = typeof r.path === 'string' ? r.path : r.path(seeded);
      if (only && !only.some((o) => (o.endsWith('$') ? p === o.slice(0, -1) : p.startsWith(o)))) continue;
      const first = await fetch(`${base}${p}`, { headers: { cookie }, redirect: 'manual' });
      await first.arrayBuffer();
      if (first.status !== 200) {
        skipped.push({ name: r.name, path: p, status: first.status });
        say(`  ${r.name} ${p}: ${first.status}, skipped`);
        continue;
      }
      for (const c of levels) {
        const m = await load(`${base}${p}`, cookie, c, seconds, pid);
        results.push({ name: r.name, path: p, ...m, goal_met: m.p95_ms <= GOALS.p95_ms && m.non2xx + m.errors === 0 });
        say(
          `  ${r.name.padEnd(18)} c=${c}: p50 ${m.p50_ms} p95 ${m.p95_ms} p99 ${m.p99_ms} ms, ${m.rps}/s, ${m.non2xx + m.errors} failed, RSS ${m.rss_peak_mb} MB`,
        );
      }
    }
    const rssPeak = Math.max(...results.map((r) => r.rss_peak_mb as number), rssMb(pid));
    const misses = results.filter((r) => !r.goal_met).map((r) => `${r.name as string} c=${r.connections as number}`);
    const out = {
      command: 'node dist/main.js web (PostgreSQL, Redis)',
      goals: GOALS,
      data: { articles: 100_000, sources: 1_000, recipients: 10_000, editions: 30, deliveries: 300_000 },
      seed_seconds: seedSec,
      seconds_per_run: seconds,
      concurrency: levels,
      load_average_after: loadavg().map((x) => round(x, 2)),
      rss_peak_mb: round(rssPeak, 1),
      rss_goal_met: rssPeak <= GOALS.rss_mb,
      misses,
      skipped,
      results,
    };
    const file = writeResult(`web-${new Date().toISOString().slice(0, 10)}`, out);
    updateDocBlock(path.join(ROOT, 'docs/benchmarks-web.md'), 'web', table(out));
    say(`wrote ${file}; RSS peak ${round(rssPeak, 1)} MB; goal missed by: ${misses.join(', ') || 'none'}`);
    return out;
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

/** The Markdown table of a run. */
function table(out: {
  results: Record<string, unknown>[];
  skipped: { path: string; status: number }[];
  rss_peak_mb: number;
  load_average_after: number[];
  seconds_per_run: number;
}): string {
  const lines = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${out.seconds_per_run} s per route and concurrency, load average after ${out.load_average_after.join(' / ')}; RSS peak of \`finrep web\` **${out.rss_peak_mb} MB** (goal ≤ ${GOALS.rss_mb}).`,
    '',
    '| page | path | conc. | req/s | p50 ms | p95 ms | p99 ms | CPU ms/req | failed | RSS MB | p95 ≤ 50 ms |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|',
    ...out.results.map(
      (r) =>
        `| ${r.name as string} | \`${r.path as string}\` | ${r.connections as number} | ${r.rps as number} | ${r.p50_ms as number} | ${r.p95_ms as number} | ${r.p99_ms as number} | ${(r.cpu_ms_per_request as number | null) ?? '—'} | ${(r.non2xx as number) + (r.errors as number)} | ${r.rss_peak_mb as number} | ${r.goal_met ? 'yes' : '**no**'} |`,
    ),
  ];
  if (out.skipped.length)
    lines.push(
      '',
      `Skipped (not 200 when the run began): ${out.skipped.map((s) => `\`${s.path}\` (${s.status})`).join(', ')}.`,
    );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
