/**
 * The production shape in tests: real `finrep worker` processes (and `finrep run` as the client) on a
 * Redis db and a PostgreSQL database of their own, killed the way a crashed container dies (the whole
 * process tree, Chromium included), and what an edition left in the database, for comparisons.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { descendants, listProcs } from '../../src/collect/proc-tree.ts';
import type { ProcInfo } from '../../src/collect/proc-tree.ts';
import type { Db } from '../../src/db/client.ts';
import { startDemoWorld } from '../../src/demo/index.ts';
import type { DemoWorld } from '../../src/demo/index.ts';
import { editionWindow } from '../../src/pipeline/window.ts';
import { BIN } from './delivery.ts';

/** The Redis of the worker tests: the shared server, on a db of each test file's own (deliver tests use 9, the benchmark 5). */
export const redisUrlFor = (db: number) => `redis://127.0.0.1:${process.env.FINREP_TEST_REDIS_PORT ?? '6379'}/${db}`;

/** Empties one Redis db (the queues of an earlier, maybe interrupted, run). */
export async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** The environment of a worker or client process: one database, one Redis, the test SMTP server, fast take-over. */
export function finrepEnv(o: {
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  smtpPort?: number;
  mailRate?: number;
  lockSec?: number;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    FINREP_DATA_DIR: o.dataDir,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    ...(o.smtpPort !== undefined && { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(o.smtpPort) }),
    SMTP_FROM: 'report@finrep.test',
    SMTP_FROM_NAME: '金融情报日报',
    MAIL_RATE_LIMIT_PER_SEC: String(o.mailRate ?? 50),
    JWT_SECRET_KEY: 'test-secret-0123456789abcdef',
    LOG_LEVEL: 'warn',
    ENV: 'test',
    // A killed worker's jobs are taken over after this; a stopped one hands its jobs back within the grace.
    JOB_LOCK_SEC: String(o.lockSec ?? 3),
    WORKER_GRACE_SEC: '5',
    // No intraday alert run (weekdays 09:00–15:59 in TZ = 01:00–07:59 UTC by default) beside what a test runs.
    ALERT_CRON: 'off',
    OPS_ALERT_CRON: 'off',
    ...o.extra,
  };
}

/** A running `finrep …` process. */
export interface FinrepProc {
  role: string;
  child: ChildProcess;
  pid: number;
  exited: boolean;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** What it wrote so far. */
  output(): { stdout: string; stderr: string };
}

/**
 * The finrep processes of one test: started in a process group of their own, and all gone after
 * `stopAll()` — gracefully where they can, with SIGKILL (and their Chromium) where they cannot.
 */
export class FinrepProcs {
  readonly all: FinrepProc[] = [];
  private readonly trees = new Map<FinrepProc, ProcInfo[]>();

  constructor(private readonly cwd: string) {}

  /** `wrap`: a command that runs finrep in its place with the same pid (`ip netns exec <ns>`). */
  start(role: string, args: string[], env: Record<string, string>, wrap: string[] = []): FinrepProc {
    const [cmd, ...argv] = [...wrap, process.execPath, BIN, ...args];
    const child = spawn(cmd!, argv, {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-100_000);
    });
    const p: FinrepProc = {
      role,
      child,
      pid: child.pid ?? -1,
      exited: false,
      output: () => ({ stdout, stderr }),
      done: new Promise((resolve) =>
        child.on('close', (code, signal) => {
          p.exited = true;
          resolve({ code, signal, stdout, stderr });
        }),
      ),
    };
    this.all.push(p);
    return p;
  }

  /** The running workers (not killed, not exited). */
  alive(): FinrepProc[] {
    return this.all.filter((p) => !p.exited && !this.trees.has(p));
  }

  /** SIGKILL to the process and everything it started (its Chromium is a process group of its own). */
  async kill(p: FinrepProc): Promise<number> {
    const procs = await listProcs();
    const tree = descendants(p.pid, procs);
    this.trees.set(p, tree);
    const groups = new Set([p.pid, ...tree.filter((t) => t.pid !== p.pid && t.pgid === t.pid).map((t) => t.pid)]);
    // The group of the worker first, so that it cannot start anything more.
    for (const g of groups)
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* gone */
      }
    for (const t of tree)
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    await p.done;
    return tree.length;
  }

  /** SIGTERM (the worker finishes or hands back its jobs), SIGKILL after `graceMs`; nothing of it stays. */
  async stop(p: FinrepProc, graceMs = 15_000): Promise<void> {
    if (!p.exited) {
      const tree = descendants(p.pid, await listProcs());
      try {
        p.child.kill('SIGTERM');
      } catch {
        /* gone */
      }
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        p.done.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (late) await this.kill(p);
      else this.trees.set(p, tree);
    }
    await this.reap(p);
  }

  /** Stops every process still running, then kills whatever any of them left behind. */
  async stopAll(graceMs = 15_000): Promise<void> {
    await Promise.all(this.all.map((p) => this.stop(p, graceMs)));
  }

  /** Kills the leftovers of an exited process's tree (same pid and start time: not a reused pid). */
  private async reap(p: FinrepProc): Promise<void> {
    const tree = this.trees.get(p) ?? [];
    if (tree.length === 0) return;
    const now = new Map((await listProcs()).map((x) => [x.pid, x]));
    for (const t of tree) {
      const still = now.get(t.pid);
      if (still && still.start === t.start)
        try {
          process.kill(t.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }
  }
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
  pollMs = 200,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `n` workers keep a heartbeat key in Redis (they took their queues). */
export async function waitForWorkers(
  redisUrl: string,
  n: number,
  procs: FinrepProcs,
  timeoutMs = 90_000,
): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    await waitFor(
      async () => {
        const dead = procs.all.find((p) => p.exited && p.role.startsWith('worker'));
        if (dead) throw new Error(`${dead.role} exited during start-up: ${dead.output().stderr.slice(-1500)}`);
        return (await redis.keys('finrep:heartbeat:worker:*')).length >= n;
      },
      `${n} workers`,
      timeoutMs,
    );
  } finally {
    redis.disconnect();
  }
}

/** Whether a worker process is up: its own heartbeat key is in Redis (a killed one's key outlives it a while). */
export async function workerIsUp(redis: Redis, p: FinrepProc): Promise<boolean> {
  return !p.exited && (await redis.exists(`finrep:heartbeat:worker:${hostname()}:${p.pid}`)) === 1;
}

/** The one JSON line `finrep run --json` prints. */
export function parseSummary(stdout: string): Record<string, unknown> {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON summary on stdout: ${stdout.slice(-500)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The demo world, its articles placed for `date`'s edition window (Asia/Shanghai, default cut-off). */
export function demoWorldFor(date: string): Promise<DemoWorld> {
  const { to } = editionWindow(date, { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 });
  return startDemoWorld({ anchor: to, timezone: 'Asia/Shanghai' });
}

/** A seeded PRNG (mulberry32): the kill moments of a failed run can be replayed from its seed. */
export { prng } from '../../src/dedup/testdata/neardup/prng.ts';

const rows = async <T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> =>
  ((await db.execute(query)) as unknown as { rows: T[] }).rows;

/** What an edition left in the database, in a form two databases can be compared by (no ids, no times). */
export async function editionRecord(db: Db, date: string) {
  const articles = await rows<{ canonical_url: string; title: string }>(
    db,
    sql`select canonical_url, title from articles order by canonical_url, title`,
  );
  const items = await rows<{ section: string; rank: number; top: boolean; title: string; canonical_url: string }>(
    db,
    sql`
    select ri.section, ri.rank, ri.top, a.title, a.canonical_url from report_items ri
    join articles a on a.id = ri.article_id join editions e on e.id = ri.edition_id
    where e.date = ${date} order by ri.section, ri.rank, a.canonical_url`,
  );
  const deliveries = await rows<{ email: string; status: string; message_id: string | null }>(
    db,
    sql`
    select dl.email, dl.status, dl.message_id from delivery_log dl join editions e on e.id = dl.edition_id
    where e.date = ${date} order by dl.email`,
  );
  const [dup] = await rows<{ canonical: number; source_url: number; items: number }>(
    db,
    sql`select
    (select count(*) - count(distinct canonical_url) from articles)::int as canonical,
    (select count(*) - count(distinct (source_id, url)) from articles)::int as source_url,
    (select count(*) - count(distinct (edition_id, article_id)) from report_items)::int as items`,
  );
  const recipients = await rows<{ email: string }>(db, sql`select email from recipients where enabled order by email`);
  return { articles, items, deliveries, duplicates: dup!, recipients: recipients.map((r) => r.email) };
}

/** The runs of the database with their stages and stage start/end events. */
export async function runRecords(db: Db) {
  const runs = await rows<{ id: number; status: string; finished: boolean; error: string | null; trigger: string }>(
    db,
    sql`select id, status, finished_at is not null as finished, error, trigger from runs order by id`,
  );
  const stages = await rows<{ run_id: number; stage: string; status: string }>(
    db,
    sql`select run_id, stage, status from run_stages order by id`,
  );
  const events = await rows<{ run_id: number; stage: string | null; kind: string; message: string }>(
    db,
    sql`select run_id, stage, kind, message from run_events order by id`,
  );
  return { runs, stages, events };
}
