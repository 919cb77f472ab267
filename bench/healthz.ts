/**
 * `npm run bench:healthz [-- --seconds N --connections N --runs N --rate R]`: `GET /healthz` of `finrep web` as
 * production runs it (the compiled build) on PostgreSQL and a redis-server of its own, with a worker's and
 * beat's heartbeats in place (all checks pass): latency p50/p95/p99 and requests/s at 200 concurrent
 * connections (undici, one request in flight per connection) — saturating (each asks again at once), then
 * paced at --rate requests/s in all (default 2,000) — and the server's CPU time per request (what a loaded
 * machine cannot blur). Goal: p95 ≤ 5 ms on a quiet machine (the seed
 * asks < 500 ms). Then `finrep health web|worker|beat` as a container HEALTHCHECK runs it (`bin/finrep.js`
 * over the build, and `node dist/main.js`): wall time, CPU time and peak RSS (/usr/bin/time) per run. Goal: ≤ 0.3 s and
 * ≤ 60 MB. Builds a snapshot of the sources first (like bench/web-startup.ts). Writes bench/results/healthz.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';
import { openDatabase } from '../src/db/client.ts';
import { BEAT_HEARTBEAT_KEY, WORKER_HEARTBEAT_PREFIX } from '../src/ops/heartbeats.ts';
import { freePort, privateRedis } from '../test/helpers/private-servers.ts';
import { quantile, round, say, writeResult } from './lib/results.ts';
import { buildSnapshot } from './lib/snapshot.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SNAP = path.join(ROOT, 'node_modules/.cache/finrep-bench-healthz');
const PG_ADMIN = process.env.FINREP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const SECONDS = option('seconds', 10);
const CONNECTIONS = option('connections', 200);
const RUNS = option('runs', 10);
const RATE = option('rate', 2000);

function snapshot(): void {
  buildSnapshot(ROOT, SNAP);
}

/** CPU time (user + system, all threads) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function until(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `CONNECTIONS` clients each asking `route` for `seconds`; the latency of every answer. Without `rate`, each
 * client asks again as soon as it has its answer (a closed loop: 200 requests always in flight, so the latency
 * is mostly queueing behind the other 199). With `rate` (requests/s in all), each client sends on a fixed
 * schedule and a latency counts from the moment the request was due, so a server falling behind shows in it
 * (no coordinated omission).
 */
async function load(base: string, seconds: number, route = '/healthz', rate?: number) {
  const pool = new Pool(base, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const every = rate ? (CONNECTIONS * 1000) / rate : 0;
  const client = async (n: number) => {
    let due = start + (every * n) / CONNECTIONS;
    while (performance.now() < end && due < end) {
      // Ahead of schedule: wait, and time from the send (a timer fires up to a millisecond off either way).
      // Behind it: send at once and time from when the request was due, so the backlog counts.
      const wait = rate ? due - performance.now() : 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = rate && wait <= 0 ? due : performance.now();
      due += every;
      try {
        const res = await pool.request({ path: route, method: 'GET' });
        await res.body.dump();
        latencies.push(performance.now() - t0);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => client(n)));
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    statuses: Object.fromEntries(statuses),
    rps: round(latencies.length / elapsed, 0),
    p50_ms: round(quantile(latencies, 0.5), 2),
    p95_ms: round(quantile(latencies, 0.95), 2),
    p99_ms: round(quantile(latencies, 0.99), 2),
    max_ms: round(latencies.at(-1) ?? Number.NaN, 2),
  };
}

/** Wall time and peak RSS of one command, from /usr/bin/time (RSS of the command's own process). */
function timed(argv: string[], env: Record<string, string>) {
  const r = spawnSync('/usr/bin/time', ['-f', '@@%e %U %S %M', ...argv], { env, cwd: tmpdir(), encoding: 'utf8' });
  const m = /@@([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr.slice(-300)}`);
  return {
    exit: r.status ?? -1,
    wall_s: Number(m[1]),
    cpu_s: round(Number(m[2]) + Number(m[3]), 2),
    max_rss_mb: round(Number(m[4]) / 1024, 1),
  };
}

function probes(env: Record<string, string>) {
  const entries: Record<string, string[]> = {
    'bin (build)': [process.execPath, path.join(SNAP, 'bin/finrep.js')],
    dist: [process.execPath, path.join(SNAP, 'dist/main.js')],
  };
  const out: Record<string, Record<string, object>> = {};
  for (const [entry, argv] of Object.entries(entries)) {
    out[entry] = {};
    for (const role of ['web', 'worker', 'beat']) {
      const runs = Array.from({ length: RUNS }, () => timed([...argv, 'health', role], env));
      if (runs.some((r) => r.exit !== 0)) throw new Error(`finrep health ${role} failed (${entry})`);
      const wall = runs.map((r) => r.wall_s).sort((a, b) => a - b);
      const rss = runs.map((r) => r.max_rss_mb).sort((a, b) => a - b);
      const cpu = runs.map((r) => r.cpu_s).sort((a, b) => a - b);
      out[entry][role] = {
        runs: RUNS,
        wall_s_median: quantile(wall, 0.5),
        wall_s_max: wall.at(-1),
        cpu_s_median: quantile(cpu, 0.5),
        max_rss_mb_median: quantile(rss, 0.5),
        max_rss_mb_max: rss.at(-1),
      };
      say(
        `  finrep health ${role} (${entry}): median ${quantile(wall, 0.5)} s (CPU ${quantile(cpu, 0.5)} s), peak RSS ${rss.at(-1)} MB`,
      );
    }
  }
  return out;
}

async function main(): Promise<void> {
  say('healthz: building a snapshot of the sources …');
  snapshot();
  const redis = await privateRedis();
  const dbName = `finrep_bench_healthz_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dbUrl = Object.assign(new URL(PG_ADMIN), { pathname: `/${dbName}` }).toString();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-healthz-'));
  const database = await openDatabase({ databaseUrl: dbUrl, dataDir });
  await database.close();
  const r = new Redis(redis.url(0));
  const now = new Date();
  // A worker of this host and beat, as `finrep worker` and `finrep beat` keep them (ten minutes' TTL).
  await r.set(
    `${WORKER_HEARTBEAT_PREFIX}${hostname()}:1`,
    JSON.stringify({ worker: `${hostname()}:1`, at: now.toISOString(), active_jobs: 0 }),
    'PX',
    600_000,
  );
  await r.set(BEAT_HEARTBEAT_KEY, JSON.stringify({ at: now.toISOString(), next: now.toISOString() }), 'PX', 600_000);
  r.disconnect();

  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ENV: 'development',
    LOG_LEVEL: 'warn',
    FINREP_DATA_DIR: dataDir,
    DATABASE_URL: dbUrl,
    REDIS_URL: redis.url(0),
    WEB_HOST: '127.0.0.1',
    WEB_PORT: String(port),
    JWT_SECRET_KEY: 'bench-secret-0123456789abcdef',
  };
  const web = spawn(process.execPath, [path.join(SNAP, 'dist/main.js'), 'web'], { env, stdio: 'inherit' });
  try {
    const base = `http://127.0.0.1:${port}`;
    await until(`${base}/healthz`, 60_000);
    say(`  /healthz: warming up, then ${SECONDS} s at ${CONNECTIONS} connections …`);
    await load(base, 2);
    const loadBefore = loadavg().map((x) => round(x, 2));
    const cpuBefore = cpuMs(web.pid!);
    const measured = await load(base, SECONDS);
    const result = {
      ...measured,
      server_cpu_ms_per_request: round((cpuMs(web.pid!) - cpuBefore) / measured.requests, 3),
    };
    say(
      `  /healthz: p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, p99 ${result.p99_ms} ms, ${result.rps} req/s, ` +
        `server CPU ${result.server_cpu_ms_per_request} ms/request (load ${loadBefore.join(' ')})`,
    );
    if (result.errors || Object.keys(result.statuses).some((s) => s !== '200'))
      throw new Error(`/healthz answered other than 200: ${JSON.stringify(result)}`);
    // 200 connections at a pace the process can serve: the latency of one request, not of a queue.
    const paced = await load(base, SECONDS, '/healthz', RATE);
    say(
      `  /healthz at ${RATE} req/s over ${CONNECTIONS} connections: p50 ${paced.p50_ms} ms, p95 ${paced.p95_ms} ms, ` +
        `p99 ${paced.p99_ms} ms (${paced.rps} req/s served)`,
    );
    // The same load on /livez (no check at all): what fastify and the server's hooks cost by themselves.
    const cpuLivez = cpuMs(web.pid!);
    const livezMeasured = await load(base, SECONDS / 2, '/livez');
    const livez = {
      ...livezMeasured,
      server_cpu_ms_per_request: round((cpuMs(web.pid!) - cpuLivez) / livezMeasured.requests, 3),
    };
    say(
      `  /livez (reference): p95 ${livez.p95_ms} ms, ${livez.rps} req/s, server CPU ${livez.server_cpu_ms_per_request} ms/request`,
    );
    const probe = probes(env);
    const file = writeResult('healthz', {
      setup: `finrep web (dist) on PostgreSQL 15 + a private redis-server; ${CONNECTIONS} connections for ${SECONDS} s`,
      goal: { healthz_p95_ms: 5, probe_wall_s: 0.3, probe_rss_mb: 60 },
      load_average_before: loadBefore,
      healthz: result,
      healthz_paced: { rate_per_s: RATE, connections: CONNECTIONS, ...paced },
      livez_reference: livez,
      probe,
    });
    say(`  wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    web.kill('SIGTERM');
    await new Promise((resolve) => web.once('exit', resolve));
    await redis.kill();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
