/**
 * What /admin/status shows and the sampler records: the database (reachable, connections, size), Redis (used
 * memory, clients), the queues (waiting / active / failed), the workers' and beat's heartbeats, and this web
 * process's request latency. Built from `/healthz`'s checks and runner (health-checks.ts, health.ts: each
 * check bounded by HEALTH_CHECK_TIMEOUT_MS, none started twice) and `/metrics`' queue reader
 * (metrics-cluster.ts) — the same facts those endpoints report, in the page's shape.
 */
import { QUEUES } from '../pipeline/queue.ts';
import type { Config } from '../config/index.ts';
import { redisOptions } from '../config/redis-url.ts';
import type { Db } from '../db/client.ts';
import { ping } from '../db/queries/health.ts';
import { databaseStats } from '../db/queries/status-samples.ts';
import type { Logger } from '../log.ts';
import { createHealth } from './health.ts';
import type { CheckReport, HealthCheck } from './health.ts';
import { beatCheck, databaseCheck, inProcessScheduleCheck, scanKeys, workersCheck } from './health-checks.ts';
import type { HealthRedis } from './health-checks.ts';
import { nextScheduledEdition } from './health-web.ts';
import { parseWorkerHeartbeat, WORKER_HEARTBEAT_PREFIX } from './heartbeats.ts';
import { FAMILIES } from './metrics.ts';
import type { Family } from './metrics.ts';

/** Job counts of one queue. */
export interface QueueRow {
  queue: string;
  waiting: number;
  active: number;
  failed: number;
}

/** The in-process queue's counts (`finrep start`: InProcessQueue.counts). */
export type QueueCounts = () => Record<string, { waiting: number; active: number; failed: number }>;

/** One look at the installation. A part that could not be read has `ok: false` and a message. */
export interface StatusSnapshot {
  at: Date;
  /** `embedded`: `finrep start` runs the jobs and the schedule in this process. */
  mode: 'embedded' | 'web';
  database: {
    kind: 'postgres' | 'pglite';
    ok: boolean;
    message?: string;
    latencyMs: number;
    sizeBytes: number | null;
    connections: number | null;
    activeConnections: number | null;
    maxConnections: number | null;
  };
  /** Null without REDIS_URL. */
  redis: {
    ok: boolean;
    message?: string;
    usedMemoryBytes: number | null;
    maxMemoryBytes: number | null;
    clients: number | null;
    version: string | null;
  } | null;
  /** `source` null: no queue to read (no REDIS_URL and not embedded). */
  queues: { source: 'bullmq' | 'in-process' | null; ok: boolean; message?: string; rows: QueueRow[] };
  /** Null when the jobs run in this process. */
  workers: {
    ok: boolean;
    message?: string;
    min: number;
    list: { worker: string; at: Date | null; activeJobs: number | null; rssMb: number | null }[];
  } | null;
  beat: { ok: boolean; message?: string; mode: 'in-process' | 'redis'; lastTick: Date | null; nextRun: Date | null };
  web: WebLatency & { rssMb: number };
}

/** This process's page latency since it started, and the cumulative buckets (the sampler takes differences). */
export interface WebLatency {
  requests: number;
  p50Ms: number | null;
  p95Ms: number | null;
  buckets: { le: number; count: number }[];
}

/** What the reader needs. */
export interface StatusDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** Present in `finrep start`: the in-process queue's counts (and no workers or beat to look for). */
  queueCounts?: QueueCounts;
}

/** Reads the status; `close()` lets go of its Redis connections. */
export interface StatusReader {
  read(): Promise<StatusSnapshot>;
  close(): Promise<void>;
}

/** Probes, health checks and static files are not pages: left out of the latency. */
const NOT_PAGES = /^\/(livez|healthz|metrics|static\/)/;

/**
 * The reader of one web process.
 * @example const status = createStatusReader({ config, db, log }); const s = await status.read();
 */
export function createStatusReader(deps: StatusDeps): StatusReader {
  const { config, db } = deps;
  const embedded = deps.queueCounts !== undefined;
  const kind = config.databaseUrl ? 'postgres' : 'pglite';
  let redis: Promise<import('ioredis').Redis> | null = null;
  let cluster: { families: Family[]; close(): Promise<void> } | null = null;
  const conn = () => (redis ??= openRedis(config.redisUrl!, config.health.checkTimeoutMs));
  const client = (): HealthRedis => {
    const r = conn;
    return {
      ping: async () => (await r()).ping(),
      get: async (k) => (await r()).get(k),
      mget: async (ks) => (await r()).mget(ks),
      scan: async (c, m, p, cc, n) => (await r()).scan(c, m, p, cc, n),
    };
  };
  const checks: HealthCheck[] = [
    databaseCheck(() => ping(db), kind),
    { name: 'database_stats', run: async () => ({ ok: true, detail: await databaseStats(db) }) },
  ];
  const nextEdition = nextScheduledEdition(config);
  if (config.redisUrl) {
    const c = client();
    checks.push({
      name: 'redis',
      run: async () => ({ ok: true, detail: parseInfo(await (await conn()).info()) }),
    });
    if (!embedded) {
      checks.push(workersCheck(c, { min: config.health.minWorkers, queues: QUEUES }), beatCheck(c, { nextEdition }));
      checks.push({ name: 'worker_list', run: async () => ({ ok: true, detail: { list: await workerList(c) } }) });
    }
  }
  if (embedded) checks.push(inProcessScheduleCheck({ nextEdition }));
  if (embedded || config.redisUrl) {
    checks.push({
      name: 'queues',
      run: async () => ({ ok: true, detail: { rows: embedded ? inProcessRows(deps.queueCounts!) : await bullRows() } }),
    });
  }
  const bullRows = async (): Promise<QueueRow[]> => {
    if (!cluster) {
      const { clusterFamilies } = await import('./metrics-cluster.ts');
      cluster = clusterFamilies({ db, config, log: deps.log, timeoutMs: 2500 });
    }
    const fams = await Promise.all(cluster.families.map((f) => f.get()));
    const up = fams.find((f) => f.name === 'finrep_collector_up')?.values.find((v) => v.labels.collector === 'queue');
    if (up?.value === 0) throw new Error('the queues in Redis could not be read');
    const rows = new Map<string, QueueRow>();
    for (const v of fams.find((f) => f.name === 'finrep_queue_jobs')?.values ?? []) {
      const row = rows.get(v.labels.queue!) ?? { queue: v.labels.queue!, waiting: 0, active: 0, failed: 0 };
      if (v.labels.state === 'waiting' || v.labels.state === 'prioritized') row.waiting += v.value;
      else if (v.labels.state === 'active') row.active += v.value;
      else if (v.labels.state === 'failed') row.failed += v.value;
      rows.set(row.queue, row);
    }
    return [...rows.values()];
  };
  // A page, not a probe: the first read may load BullMQ and connect (a second or so on a small machine).
  const health = createHealth(checks, {
    timeoutMs: Math.max(config.health.checkTimeoutMs, 3000),
    reuseMs: 1000,
    secrets: [config.redisUrl, config.databaseUrl],
  });

  return {
    async read() {
      const [report, latency] = await Promise.all([health.report(), webLatency()]);
      return assemble(report.checks, {
        kind,
        embedded,
        redis: !!config.redisUrl,
        min: config.health.minWorkers,
        latency,
      });
    },
    async close() {
      await cluster?.close();
      if (redis) (await redis.catch(() => null))?.disconnect();
    },
  };
}

/** The snapshot from the checks' reports. */
function assemble(
  c: Record<string, CheckReport>,
  o: { kind: 'postgres' | 'pglite'; embedded: boolean; redis: boolean; min: number; latency: WebLatency },
): StatusSnapshot {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const date = (v: unknown) => (typeof v === 'string' || v instanceof Date ? new Date(v) : null);
  const msg = (r: CheckReport | undefined) => (r && r.status !== 'ok' ? { message: r.message } : {});
  const d = c.database!;
  const stats = c.database_stats;
  const statsOk = stats?.status === 'ok';
  const beat = c.beat;
  return {
    at: new Date(),
    mode: o.embedded ? 'embedded' : 'web',
    database: {
      kind: o.kind,
      ok: d.status === 'ok',
      ...msg(d),
      latencyMs: d.latency_ms,
      sizeBytes: statsOk ? num(stats.sizeBytes) : null,
      connections: statsOk ? num(stats.connections) : null,
      activeConnections: statsOk ? num(stats.active) : null,
      maxConnections: statsOk ? num(stats.maxConnections) : null,
    },
    redis: o.redis
      ? {
          ok: c.redis?.status === 'ok',
          ...msg(c.redis),
          usedMemoryBytes: num(c.redis?.usedMemoryBytes),
          maxMemoryBytes: num(c.redis?.maxMemoryBytes),
          clients: num(c.redis?.clients),
          version: typeof c.redis?.version === 'string' ? c.redis.version : null,
        }
      : null,
    queues: c.queues
      ? {
          source: o.embedded ? 'in-process' : 'bullmq',
          ok: c.queues.status === 'ok',
          ...msg(c.queues),
          rows: c.queues.status === 'ok' ? (c.queues.rows as QueueRow[]) : [],
        }
      : { source: null, ok: true, rows: [] },
    workers:
      o.embedded || !o.redis
        ? null
        : {
            ok: c.workers?.status === 'ok',
            ...msg(c.workers),
            min: o.min,
            list:
              c.worker_list?.status === 'ok'
                ? (c.worker_list.list as NonNullable<StatusSnapshot['workers']>['list'])
                : [],
          },
    beat: {
      ok: beat?.status === 'ok',
      ...(beat ? msg(beat) : { message: 'REDIS_URL is not set: nothing schedules editions from this process' }),
      mode: o.embedded ? 'in-process' : 'redis',
      lastTick: date(beat?.last_tick),
      nextRun: date(beat?.next_edition),
    },
    web: { ...o.latency, rssMb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10 },
  };
}

/** The workers' heartbeats, newest first. */
async function workerList(redis: HealthRedis) {
  const keys = await scanKeys(redis, WORKER_HEARTBEAT_PREFIX);
  const values = keys.length ? await redis.mget(keys) : [];
  return keys
    .map((k, i) => parseWorkerHeartbeat(k, values[i] ?? null))
    .sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0));
}

function inProcessRows(counts: QueueCounts): QueueRow[] {
  return Object.entries(counts()).map(([queue, c]) => ({ queue, ...c }));
}

/** The numbers of Redis' INFO this page shows. */
export function parseInfo(info: string): Record<string, unknown> {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? null;
  const n = (name: string) => {
    const v = Number(field(name));
    return field(name) === null || !Number.isFinite(v) ? null : v;
  };
  return {
    usedMemoryBytes: n('used_memory'),
    maxMemoryBytes: n('maxmemory'),
    clients: n('connected_clients'),
    version: field('redis_version'),
  };
}

/** This process's page latency (all routes but probes and static files), from its request histogram. */
export async function webLatency(): Promise<WebLatency> {
  const { values } = await FAMILIES.httpDuration.get();
  const byLe = new Map<number, number>();
  for (const v of values) {
    if (v.metricName?.endsWith('_bucket') !== true || NOT_PAGES.test(v.labels.route ?? '')) continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + v.value);
  }
  const buckets = [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  return latencyOf(buckets);
}

/**
 * p50 and p95 in ms of cumulative buckets (seconds), interpolated inside the bucket as Prometheus'
 * `histogram_quantile` does; null without observations.
 * @example latencyOf([{ le: 0.01, count: 9 }, { le: Infinity, count: 10 }]).p50Ms // 5.6
 */
export function latencyOf(buckets: { le: number; count: number }[]): WebLatency {
  const total = buckets.at(-1)?.count ?? 0;
  const q = (p: number): number | null => {
    if (total === 0) return null;
    const rank = p * total;
    let lower = 0;
    let below = 0;
    for (const b of buckets) {
      if (b.count >= rank) {
        if (!Number.isFinite(b.le)) return Math.round(lower * 1000 * 10) / 10;
        const inside = b.count - below;
        const at = inside > 0 ? lower + ((b.le - lower) * (rank - below)) / inside : b.le;
        return Math.round(at * 1000 * 10) / 10;
      }
      lower = b.le;
      below = b.count;
    }
    return null;
  };
  return { requests: total, p50Ms: q(0.5), p95Ms: q(0.95), buckets };
}

/** A Redis connection for the status page: fails commands after `timeoutMs`, reconnects within a second. */
async function openRedis(url: string, timeoutMs: number) {
  const { Redis } = await import('ioredis');
  const r = new Redis(
    redisOptions(url, {
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(timeoutMs, 1000),
      commandTimeout: timeoutMs,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      connectionName: 'finrep:status',
    }),
  );
  r.on('error', () => {}); // shown as the redis part's message
  return r;
}
