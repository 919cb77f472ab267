/**
 * The installation's metrics that no single worker knows: queue depths (BullMQ in Redis), the edition's
 * delivery against its schedule, and LLM spend against the budgets — read from Redis and the database when
 * Prometheus scrapes. Only one process reports them (the web server, or `finrep start`), so that they are
 * not counted once per worker; each scrape reads them once, with a deadline, and a source that does not
 * answer shows as `finrep_collector_up{collector} 0` instead of hanging the scrape.
 */
import { once } from 'node:events';
import { CronExpressionParser } from 'cron-parser';
import type { Queue } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import type { Redis } from 'ioredis';
import { effectiveConfig } from '../config/overrides.ts';
import { redisOptions } from '../config/redis-url.ts';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { editionsQ, llmUsageQ } from '../db/queries/index.ts';
import { periodStarts } from '../extract/budget.ts';
import { dateInZone, zonedToUtc } from '../lib/time.ts';
import type { Logger } from '../log.ts';
import { QUEUES } from '../pipeline/queue.ts';
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
  /** The embedded shape's in-process queue (no Redis): its jobs per queue and state, read in place of BullMQ's. */
  queueCounts?: () => Record<
    string,
    { waiting: number; active: number; failed: number; oldestWaitingSec?: number | null }
  >;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;
const DELIVERED = new Set(['delivered', 'partial']);

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
  let pending: Promise<Snapshot> | null = null;
  // Every family of one scrape shares one snapshot.
  const snapshot = () => {
    pending ??= take().finally(() => setTimeout(() => (pending = null), 1000).unref());
    return pending;
  };
  const take = async (): Promise<Snapshot> => {
    const at = now();
    const [database, queues] = await Promise.all([
      within(timeoutMs, databasePart(deps, at)).catch((err: unknown) => {
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
      await reader?.close();
      reader = null;
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

/** The edition against its schedule, and the spend against the budgets. */
async function databasePart(deps: ClusterDeps, at: Date) {
  const { db } = deps;
  // The schedule and budgets as they apply now (the admin may override them at run time).
  const config = await effectiveConfig(db, deps.config);
  const tz = config.timeZone;
  const recent = await editionsQ.listEditions(db, 10);
  const last = recent.find((e) => e.deliveredAt && DELIVERED.has(e.status));
  const fire = CronExpressionParser.parse(config.report.cron, { tz, currentDate: new Date(at.getTime() + 1) })
    .prev()
    .toDate();
  const scheduledDate = dateInZone(fire, tz);
  const deadline = localTime(scheduledDate, config.report.deadline, tz);
  const deadlineAt = deadline.getTime() < fire.getTime() ? fire : deadline;
  const scheduled =
    recent.find((e) => e.date === scheduledDate) ?? (await editionsQ.findEditionByDate(db, scheduledDate));
  const edition = {
    lastDeliveredAt: last?.deliveredAt ?? null,
    lastLagSec: last?.deliveredAt
      ? (last.deliveredAt.getTime() - localTime(last.date, config.report.cutoff, tz).getTime()) / 1000
      : null,
    scheduledDate,
    deadlineAt,
    overdue: at.getTime() > deadlineAt.getTime() && !(scheduled && DELIVERED.has(scheduled.status)),
  };
  const starts = periodStarts(at, tz);
  const budget = [
    { period: 'day' as const, spent: await llmUsageQ.spentSince(db, starts.day), limit: config.llm.dailyBudget },
    { period: 'month' as const, spent: await llmUsageQ.spentSince(db, starts.month), limit: config.llm.monthlyBudget },
  ];
  return { edition, budget };
}

/** `HH:MM` on `date` (YYYY-MM-DD) in `tz`. */
function localTime(date: string, hhmm: string, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  return zonedToUtc(y, m, d, hh, mm, tz);
}

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
