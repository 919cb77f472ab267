/**
 * The production shape of the edition benchmark: a fresh PostgreSQL database and Redis db, N `finrep
 * worker` processes, and `finrep run --date D --json`, which enqueues the edition, waits for it and prints
 * the summary. Optionally kills a random worker (with its Chromium) K times at random moments and starts a
 * replacement each time.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import type { MemorySampler } from './edition-world-memory.ts';
import { killTree, sleep, startFinrep, stopFinrep } from './edition-world-procs.ts';
import type { FinrepProcess } from './edition-world-procs.ts';

const ADMIN_URL = process.env.FINREP_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = process.env.FINREP_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/5';

/** Creates the database (migrated by `finrep migrate`) and empties the Redis db; `cleanup` drops both. */
export async function prepareWorkersMode(o: {
  pid: number;
  env: Record<string, string>;
  cwd: string;
  keep: boolean;
  /** @defaultValue `finrep_bench_edition` */
  dbPrefix?: string;
  /** @defaultValue FINREP_BENCH_REDIS_URL or redis://127.0.0.1:6379/5 */
  redisUrl?: string;
}): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  const dbName = `${o.dbPrefix ?? 'finrep_bench_edition'}_${o.pid}`;
  const REDIS_URL = o.redisUrl ?? DEFAULT_REDIS_URL;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  const env = { DATABASE_URL: u.toString(), REDIS_URL };
  const flush = async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    try {
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
  };
  const cleanup = async () => {
    if (o.keep) return;
    await flush().catch(() => {});
    const a = new pg.Client({ connectionString: ADMIN_URL });
    await a.connect();
    try {
      await a.query(`drop database if exists ${dbName} with (force)`);
    } finally {
      await a.end();
    }
  };
  try {
    await flush();
    const migrate = await startFinrep('migrate', ['migrate'], { ...o.env, ...env }, o.cwd).done;
    if (migrate.code !== 0)
      throw new Error(`finrep migrate failed (${migrate.code}): ${migrate.stderr.trim().slice(-500)}`);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { env, cleanup };
}

export interface WorkerDetail {
  role: string;
  pid: number;
  exit: number | string | null;
  graceful: boolean | null;
  killed: boolean;
}
export interface KillRecord {
  at_ms: number;
  role: string;
  pid: number;
  processes: number;
  replacement: string;
}

export interface WorkersRun {
  run: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number };
  /** From the start of `finrep run` to its exit. */
  wallMs: number;
  workers: WorkerDetail[];
  kills: KillRecord[];
  settleMs: number;
}

/** Starts the workers, lets them settle, runs the edition (killing workers if asked), then stops them. */
export async function runWithWorkers(o: {
  env: Record<string, string>;
  cwd: string;
  runArgs: string[];
  workers: number;
  kills: number;
  killWindowMs: number;
  /** Seeds the kill moments and victims: the same seed kills at the same moments (workers by start order). */
  killSeed: number;
  settleMs: number;
  sampler: MemorySampler;
}): Promise<WorkersRun> {
  const random = mulberry32(o.killSeed);
  const all: FinrepProcess[] = [];
  const killed = new Set<FinrepProcess>();
  const start = () => {
    const w = startFinrep(`worker-${all.length + 1}`, ['worker'], o.env, o.cwd, { forward: true });
    all.push(w);
    o.sampler.watch(w.role, w.pid);
    return w;
  };
  for (let i = 0; i < o.workers; i++) start();
  try {
    await sleep(o.settleMs);
    const early = all.find((w) => w.exited);
    if (early) {
      const r = await early.done;
      throw new Error(
        `${early.role} (finrep worker) exited during start-up with ${r.code ?? r.signal}: ${r.stderr.trim().slice(-800)}`,
      );
    }

    const run = startFinrep('run', o.runArgs, o.env, o.cwd, { forward: true });
    o.sampler.watch('run', run.pid);
    const kills: KillRecord[] = [];
    const killLoop = (async () => {
      const times = Array.from({ length: o.kills }, () => (0.05 + 0.9 * random()) * o.killWindowMs).sort(
        (a, b) => a - b,
      );
      for (const t of times) {
        while (!run.exited && performance.now() - run.startedAt < t) await sleep(100);
        if (run.exited) return;
        const alive = all.filter((w) => !w.exited && !killed.has(w));
        const victim = alive[Math.floor(random() * alive.length)];
        if (!victim) continue;
        killed.add(victim);
        const processes = await killTree(victim);
        const replacement = start();
        kills.push({
          at_ms: Math.round(performance.now() - run.startedAt),
          role: victim.role,
          pid: victim.pid,
          processes,
          replacement: replacement.role,
        });
        process.stderr.write(
          `  [bench] SIGKILL ${victim.role} (pid ${victim.pid}, ${processes} processes) at ${Math.round((performance.now() - run.startedAt) / 1000)} s; started ${replacement.role}\n`,
        );
      }
    })();
    const result = await run.done;
    await killLoop;
    const workers: WorkerDetail[] = [];
    for (const w of all) {
      if (killed.has(w)) {
        await w.done;
        workers.push({ role: w.role, pid: w.pid, exit: 'SIGKILL', graceful: null, killed: true });
        continue;
      }
      const stop = await stopFinrep(w);
      workers.push({
        role: w.role,
        pid: w.pid,
        exit: stop.code ?? stop.signal,
        graceful: stop.graceful,
        killed: false,
      });
    }
    return { run: result, wallMs: result.ms, workers, kills, settleMs: o.settleMs };
  } finally {
    // Whatever happened, no worker of ours outlives the benchmark.
    await Promise.all(all.filter((w) => !w.exited).map((w) => stopFinrep(w, 10_000)));
  }
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
