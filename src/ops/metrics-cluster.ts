/**
 * The installation's metrics that no single worker knows: queue depths (BullMQ in Redis), the edition's
 * delivery against its schedule, and LLM spend against the budgets — read from Redis and the database when
 * Prometheus scrapes. Only one process reports them (the web server, or `finrep start`), so that they are
 * not counted once per worker; each scrape reads them once, with a deadline, and a source that does not
 * answer shows as `finrep_collector_up{collector} 0` instead of hanging the scrape. Given the PostgreSQL URL,
 * the database figures are read on a connection of their own (`finrep-metrics` in pg_stat_activity), so that
 * the dashboards keep them while the web's pool is busy with the console.
 */
import { once } from 'node:events';
import type { Queue } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import type { Redis } from 'ioredis';
import { effectiveConfig } from '../config/overrides.ts';
import { redisOptions } from '../config/redis-url.ts';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { QUEUES } from '../pipeline/queue.ts';
import { budgetUse, editionSchedule } from './conditions.ts';
import { CallbackGauge } from './metrics.ts';
import type { Family, Sample } from './metrics.ts';

/** What the cluster collectors read from. */
export interface ClusterDeps {
  db: Db;
  config: Config;
  log: Logger;
  now?: () => Date;
  /** How long one scrape waits for Redis or the database. @defaultValue 2000 */
  timeoutMs?: number;
  /**
   * PostgreSQL: read the database figures on a pool of one connection of their own at this URL, not through
   * `db` (whose pool the console's requests may keep busy). @defaultValue null (through `db`)
   */
  databaseUrl?: string | null;
  /** The embedded shape's in-process queue (no Redis): its jobs per queue and state, read in place of BullMQ's. */
  queueCounts?: () => Record<
    string,
    { waiting: number; active: number; failed: number; oldestWaitingSec?: number | null }
  >;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

interface Snapshot {
  up: { database: boolean; queue: boolean | null };
  queues: { queue: string; counts: Record<string, number>; oldestWaitingSec: number | null }[];
  edition: {
    lastDeliveredAt: Date | null;
    lastLagSec: number | null;
    scheduledDate: string;
    deadlineAt: Date;
    overdue: boolean;
  } | null;
  budget: { period: 'day' | 'month'; spent: number; limit: number | null }[];
}

/** The cluster families, and `close()` for the Redis connection they opened. */
export function clusterFamilies(deps: ClusterDeps): { families: Family[]; close(): Promise<void> } {
  const now = deps.now ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? 2000;
  let reader: QueueReader | null = null;
  let own: Promise<OwnPool> | null = null;
  const readDb = async (): Promise<Db> => {
    if (!deps.databaseUrl) return deps.db;
    own ??= ownPool(deps.databaseUrl, timeoutMs).catch((err: unknown) => {
      own = null;
      throw err;
    });
    return (await own).db;
  };
  let pending: Promise<Snapshot> | null = null;
  // Every family of one scrape shares one snapshot.
  const snapshot = () => {
    pending ??= take().finally(() => setTimeout(() => (pending = null), 1000).unref());
    return pending;
  };
  const take = async (): Promise<Snapshot> => {
    const at = now();
    const [database, queues] = await Promise.all([
      within(
        timeoutMs,
        readDb().then((db) => databasePart({ ...deps, db }, at)),
      ).catch((err: unknown) => {
        deps.log.warn({ err: (err as Error).message }, 'metrics: database not read');
        return null;
      }),
      deps.queueCounts
        ? Promise.resolve(inProcessQueues(deps.queueCounts))
        : deps.config.redisUrl
          ? within(timeoutMs, (reader ??= new QueueReader(connect(deps.config.redisUrl), timeoutMs)).read()).catch(
              (err: unknown) => {
                deps.log.warn({ err: (err as Error).message }, 'metrics: queues not read');
                return null;
              },
            )
          : Promise.resolve(undefined),
    ]);
    return {
      up: { database: database !== null, queue: queues === undefined ? null : queues !== null },
      queues: queues ?? [],
      edition: database?.edition ?? null,
      budget: database?.budget ?? [],
    };
  };
  const gauge = (name: string, help: string, read: (s: Snapshot) => Sample[]) =>
    new CallbackGauge(name, help, async () => read(await snapshot()));
  const families = [
    gauge('finrep_collector_up', 'Whether the scrape could read the database and the queue (Redis).', (s) => [
      { labels: { collector: 'database' }, value: s.up.database ? 1 : 0 },
      ...(s.up.queue === null ? [] : [{ labels: { collector: 'queue' }, value: s.up.queue ? 1 : 0 }]),
    ]),
    gauge(
      'finrep_queue_jobs',
      'Jobs in each queue by state (waiting, active, delayed, failed, …): BullMQ, or the embedded in-process queue.',
      (s) =>
        s.queues.flatMap((q) =>
          Object.entries(q.counts).map(([state, value]) => ({ labels: { queue: q.queue, state }, value })),
        ),
    ),
    gauge('finrep_queue_oldest_waiting_seconds', 'Age of the oldest waiting job per queue (0: none waiting).', (s) =>
      s.queues.map((q) => ({ labels: { queue: q.queue }, value: q.oldestWaitingSec ?? 0 })),
    ),
    gauge(
      'finrep_edition_delivery_lag_seconds',
      "The last delivered edition: its delivered_at minus its schedule (EDITION_CUTOFF on the edition's date).",
      (s) => (s.edition?.lastLagSec == null ? [] : [{ labels: {}, value: s.edition.lastLagSec }]),
    ),
    gauge('finrep_edition_last_delivered_timestamp_seconds', 'When the last edition was delivered (Unix time).', (s) =>
      s.edition?.lastDeliveredAt ? [{ labels: {}, value: s.edition.lastDeliveredAt.getTime() / 1000 }] : [],
    ),
    gauge(
      'finrep_edition_deadline_timestamp_seconds',
      'EDITION_DEADLINE of the last scheduled edition (SCHEDULE_CRON), Unix time.',
      (s) => (s.edition ? [{ labels: {}, value: s.edition.deadlineAt.getTime() / 1000 }] : []),
    ),
    gauge(
      'finrep_edition_overdue',
      '1 when the last scheduled edition is past its EDITION_DEADLINE and not delivered, else 0.',
      (s) => (s.edition ? [{ labels: {}, value: s.edition.overdue ? 1 : 0 }] : []),
    ),
    gauge('finrep_llm_spent_cny', 'LLM spend in the ledger for the current day and month (TZ), CNY.', (s) =>
      s.budget.map((b) => ({ labels: { period: b.period }, value: b.spent })),
    ),
    gauge(
      'finrep_llm_budget_used_ratio',
      'LLM spend over LLM_DAILY_BUDGET / LLM_MONTHLY_BUDGET (only the budgets that are set).',
      (s) =>
        s.budget
          .filter((b) => b.limit !== null)
          .map((b) => ({ labels: { period: b.period }, value: b.limit! > 0 ? b.spent / b.limit! : 1 })),
    ),
  ];
  return {
    families,
    async close() {
      const pool = own;
      own = null;
      await Promise.all([
        reader?.close(),
        pool?.then(
          (p) => p.close(),
          () => {},
        ),
      ]);
      reader = null;
    },
  };
}

/** The scrape's own PostgreSQL pool (one connection) as a drizzle database. */
interface OwnPool {
  db: Db;
  close(): Promise<void>;
}

/** The session name of the metrics' own connection in `pg_stat_activity`. */
export const METRICS_APPLICATION_NAME = 'finrep-metrics';

/**
 * One connection for the scrape's database figures: a statement longer than the scrape's deadline is
 * cancelled by the server, a query not answered at all within twice that (a stalled server, a connection
 * lost without a reset) ends its connection, and a scrape waits for the connection no longer than its
 * deadline — so a stalled server holds this one connection, never one per scrape.
 */
async function ownPool(url: string, timeoutMs: number): Promise<OwnPool> {
  const [{ default: pg }, { drizzle }, schema] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('../db/schema/index.ts'),
  ]);
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    application_name: METRICS_APPLICATION_NAME,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs * 2,
    connectionTimeoutMillis: timeoutMs,
    // Kept between scrapes (Prometheus asks every 15 s or so).
    idleTimeoutMillis: 0,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  pool.on('error', () => {}); // an idle connection lost: the next scrape opens another
  pool.on('connect', (client) => client.on('error', () => {}));
  return {
    db: drizzle(pool, { schema }) as unknown as Db,
    close: async () => {
      // Bounded: a client stuck on a stalled server would hold end() until its query gives up.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pool.end().catch(() => {}),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs * 2))),
      ]);
      clearTimeout(timer);
    },
  };
}

/** The scrape's own connection: a command fails at once while Redis is away (no queue of commands). */
function connect(url: string): Redis {
  const r = new IORedis(
    redisOptions(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false }),
  );
  r.on('error', () => {}); // reported as finrep_collector_up{collector="queue"} 0
  return r;
}

/** BullMQ's view of each queue on one connection (the queue objects are kept from scrape to scrape). */
class QueueReader {
  private queues: Queue[] | null = null;
  constructor(
    private readonly redis: Redis,
    private readonly waitMs: number,
  ) {}

  /** Counts per queue and state, and the oldest waiting job's age. */
  async read(): Promise<Snapshot['queues']> {
    // A new connection (the first scrape, or Redis back after an outage) is waited for within the scrape's deadline.
    if (this.redis.status !== 'ready') await once(this.redis, 'ready', { signal: AbortSignal.timeout(this.waitMs) });
    if (!this.queues) {
      const [{ Queue }, { QUEUE_PREFIX }] = await Promise.all([import('bullmq'), import('../jobs/bullmq.ts')]);
      this.queues = QUEUES.map((name) => {
        const q = new Queue(name, { connection: this.redis, prefix: QUEUE_PREFIX });
        q.on('error', () => {});
        return q;
      });
    }
    return Promise.all(
      this.queues.map(async (q) => {
        const counts = await q.getJobCounts(...QUEUE_STATES);
        const [oldest] = await q.getJobs(['wait'], 0, 0, true);
        const oldestWaitingSec = oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : null;
        return { queue: q.name, counts, oldestWaitingSec };
      }),
    );
  }

  /** Lets go of the queue objects and closes the connection. */
  async close(): Promise<void> {
    await Promise.all((this.queues ?? []).map((q) => q.close().catch(() => {})));
    this.redis.disconnect();
  }
}

/** The in-process queue's counts in the shape BullMQ's are read in. */
function inProcessQueues(counts: NonNullable<ClusterDeps['queueCounts']>): Snapshot['queues'] {
  return Object.entries(counts()).map(([queue, c]) => ({
    queue,
    counts: { waiting: c.waiting, active: c.active, failed: c.failed },
    oldestWaitingSec: c.oldestWaitingSec ?? null,
  }));
}

/** The edition against its schedule, and the spend against the budgets (conditions.ts, shared with the ops alerts). */
async function databasePart(deps: ClusterDeps, at: Date) {
  // The schedule and budgets as they apply now (the admin may override them at run time).
  const config = await effectiveConfig(deps.db, deps.config);
  const edition = await editionSchedule(deps.db, config, at);
  const budget = await budgetUse(deps.db, config, at);
  return { edition, budget };
}

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
