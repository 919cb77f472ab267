/**
 * `npx tsx bench/web-startup.ts [--runs N]`: `finrep web` as production runs it (the compiled build, `node
 * dist/main.js web`), on PostgreSQL and on PGlite: the time from spawning the process to `/livez` answering
 * 200, and its resident memory (VmRSS) after a sign-in page was served and the process sat idle for 3 s.
 * Goals: start-up ≤ 1 s, idle RSS ≤ 150 MB. The CPU time to /livez is recorded too: on a loaded machine the
 * wall time says more about the neighbours than about finrep. Builds a snapshot of the sources first (like bench/startup.ts),
 * so edits in the tree during the run change nothing. Writes bench/results/web.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { freePort } from '../test/helpers/private-servers.ts';
import { round, say, writeResult } from './lib/results.ts';
import { cpuMs, rssMb } from './lib/proc-stats.ts';
import { buildSnapshot } from './lib/snapshot.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SNAP = path.join(ROOT, 'node_modules/.cache/finrep-bench-web-startup');
const PG_ADMIN = process.env.FINREP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const at = process.argv.indexOf('--runs');
const RUNS = at >= 0 ? Number(process.argv[at + 1]) : 5;

function snapshot(): string {
  return buildSnapshot(ROOT, SNAP);
}

/** One start: ms from spawn to /livez 200, the CPU it took, and idle RSS (MB). */
async function once(
  main: string,
  env: Record<string, string>,
): Promise<{ startup_ms: number; startup_cpu_ms: number; idle_rss_mb: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [main, 'web', '--host', '127.0.0.1', '--port', String(port)], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ENV: 'development', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let startup = Number.NaN;
    let cpu = Number.NaN;
    while (performance.now() - t0 < 30_000) {
      if (child.exitCode !== null) throw new Error(`finrep web exited: ${stderr.slice(-500)}`);
      const ok = await fetch(`http://127.0.0.1:${port}/livez`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        startup = performance.now() - t0;
        cpu = cpuMs(child.pid!);
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const login = await fetch(`http://127.0.0.1:${port}/login`);
    if (login.status !== 200) throw new Error(`/login answered ${login.status}`);
    await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    await new Promise((r) => setTimeout(r, 3000));
    return { startup_ms: round(startup, 0), startup_cpu_ms: round(cpu, 0), idle_rss_mb: round(rssMb(child.pid!), 1) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/**
 * CPU ms of a fixed loop of 3e7 additions (~25-40 ms on an unloaded core of the project machines): how much
 * slower than usual this machine runs now, to read the numbers above against.
 */
function calibration(): number {
  const c0 = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i;
  const c = process.cpuUsage(c0);
  return x > 0 ? round((c.user + c.system) / 1000, 0) : 0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const main = snapshot();
const work = mkdtempSync(path.join(tmpdir(), 'finrep-bench-web-'));
const dbName = `finrep_bench_web_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_ADMIN });
await admin.connect();
await admin.query(`create database ${dbName}`);
const pgUrl = Object.assign(new URL(PG_ADMIN), { pathname: `/${dbName}` }).toString();
// Migrated beforehand: start-up measures the server, not the first migration.
for (const [databaseUrl, dataDir] of [
  [pgUrl, work],
  [null, path.join(work, 'pglite')],
] as const)
  await (await openDatabase({ databaseUrl, dataDir })).close();

const results: Record<string, unknown> = {};
try {
  for (const [name, env] of [
    ['postgres', { DATABASE_URL: pgUrl, FINREP_DATA_DIR: work, JWT_SECRET_KEY: 'bench-secret-0123456789' }],
    ['pglite', { FINREP_DATA_DIR: path.join(work, 'pglite') }],
  ] as const) {
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await once(main, env));
    const startup = median(samples.map((s) => s.startup_ms));
    const rss = median(samples.map((s) => s.idle_rss_mb));
    const cpu = median(samples.map((s) => s.startup_cpu_ms));
    results[name] = {
      startup_ms_median: startup,
      startup_cpu_ms_median: cpu,
      idle_rss_mb_median: rss,
      startup_goal_met: startup <= 1000,
      rss_goal_met: rss <= 150,
      samples,
    };
    say(`${name}: start-up to /livez ${startup} ms (${cpu} ms CPU), idle RSS ${rss} MB (median of ${RUNS})`);
  }
} finally {
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  rmSync(work, { recursive: true, force: true });
}
say(
  `wrote ${writeResult('web', { command: 'node dist/main.js web', calibration_loop_cpu_ms: calibration(), goals: { startup_ms: 1000, idle_rss_mb: 150 }, runs: RUNS, results })}`,
);
