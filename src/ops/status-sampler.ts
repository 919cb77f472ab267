/**
 * The trend samples of /admin/status: every 30 s slot, one web process reads the status (status.ts) and
 * writes it to `status_samples`; samples older than 7 days are deleted by the same process.
 *
 * **One sampler however many web instances.** Each instance wakes at every slot boundary and tries to
 * insert the slot's claim row (`metric = 'sampler.claim'`, `at` = the slot's start); the unique index on
 * (metric, at) lets exactly one insert in, and only that instance reads and writes the slot. Why a row
 * rather than a PostgreSQL advisory lock or a Redis `SET NX PX`: the database is the one store every shape
 * has (PGlite in `finrep start`, PostgreSQL for `finrep web` — Redis is optional), the claim lives beside the
 * data it guards (a slot cannot be sampled twice even by an instance that wakes after the first finished,
 * which a lock released after sampling would allow), and it holds no pooled connection between slots.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../db/client.ts';
import { claimSlot, insertSamples, purgeSamplesBefore } from '../db/queries/status-samples.ts';
import type { SampleValue } from '../db/queries/status-samples.ts';
import type { Logger } from '../log.ts';
import { latencyOf, webLatency } from './status.ts';
import type { StatusSnapshot, WebLatency } from './status.ts';

/** @defaultValue 30 s */
export const SAMPLE_INTERVAL_MS = 30_000;
/** @defaultValue 7 days */
export const SAMPLE_RETENTION_MS = 7 * 86_400_000;

/** What the sampler needs. */
export interface SamplerDeps {
  db: Db;
  log: Logger;
  /** The status now (StatusReader.read). */
  read: () => Promise<StatusSnapshot>;
  /** This process's name in the claim rows. @defaultValue `host:pid:random` */
  instance?: string;
  /** @defaultValue SAMPLE_INTERVAL_MS */
  intervalMs?: number;
  /** @defaultValue SAMPLE_RETENTION_MS */
  retainMs?: number;
  now?: () => number;
}

/** A running sampler: `stop()` waits for a sample being written. */
export interface Sampler {
  readonly instance: string;
  stop(): Promise<void>;
}

/** The start of the slot holding `ms`. */
export function slotOf(ms: number, intervalMs = SAMPLE_INTERVAL_MS): Date {
  return new Date(Math.floor(ms / intervalMs) * intervalMs);
}

/** The rows of one slot: `window` is this process's latency since its previous tick. */
export function sampleValues(s: StatusSnapshot, window: WebLatency): SampleValue[] {
  const out: SampleValue[] = [];
  const put = (metric: string, value: number | null | undefined) => {
    if (typeof value === 'number' && Number.isFinite(value)) out.push({ metric, value });
  };
  put('db.up', s.database.ok ? 1 : 0);
  put('db.connections', s.database.connections);
  put('db.active_connections', s.database.activeConnections);
  put('db.size_bytes', s.database.sizeBytes);
  if (s.redis) {
    put('redis.up', s.redis.ok ? 1 : 0);
    put('redis.used_memory_bytes', s.redis.usedMemoryBytes);
    put('redis.clients', s.redis.clients);
  }
  for (const q of s.queues.rows) {
    put(`queue.${q.queue}.waiting`, q.waiting);
    put(`queue.${q.queue}.active`, q.active);
    put(`queue.${q.queue}.failed`, q.failed);
  }
  if (s.workers) put('workers.count', s.workers.list.length);
  put('web.requests', window.requests);
  put('web.p50_ms', window.p50Ms);
  put('web.p95_ms', window.p95Ms);
  put('web.rss_mb', s.web.rssMb);
  return out;
}

/** The requests between two cumulative readings of the same histogram. */
export function windowOf(now: WebLatency, before: WebLatency | null): WebLatency {
  if (!before) return now;
  const prev = new Map(before.buckets.map((b) => [b.le, b.count]));
  return latencyOf(now.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (prev.get(b.le) ?? 0)) })));
}

/**
 * One slot: claims it, and when this process won, reads the status, writes it and purges old samples.
 * Returns whether this process sampled the slot.
 */
export async function sampleSlot(deps: SamplerDeps & { instance: string }, slot: Date, window: WebLatency) {
  if (!(await claimSlot(deps.db, slot, deps.instance))) return false;
  const snapshot = await deps.read();
  await insertSamples(deps.db, slot, sampleValues(snapshot, window));
  const now = deps.now?.() ?? Date.now();
  const purged = await purgeSamplesBefore(deps.db, new Date(now - (deps.retainMs ?? SAMPLE_RETENTION_MS)));
  if (purged > 0) deps.log.debug({ purged }, 'status: old samples purged');
  return true;
}

/**
 * Samples the slot now and at every slot boundary until stopped.
 * @example const sampler = startStatusSampler({ db, log, read: status.read }); … await sampler.stop();
 */
export function startStatusSampler(deps: SamplerDeps): Sampler {
  const instance = deps.instance ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const every = deps.intervalMs ?? SAMPLE_INTERVAL_MS;
  const now = deps.now ?? (() => Date.now());
  let before: WebLatency | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const tick = async () => {
    const latency = await webLatency();
    const window = windowOf(latency, before);
    before = latency;
    try {
      await sampleSlot({ ...deps, instance }, slotOf(now(), every), window);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'status: sample not written');
    }
  };
  const schedule = () => {
    if (stopped) return;
    const t = now();
    // A few ms past the boundary, so that the slot computed on waking is the new one.
    timer = setTimeout(
      () => {
        running = tick().finally(schedule);
      },
      slotOf(t, every).getTime() + every - t + 5,
    );
    timer.unref();
  };
  running = tick().finally(schedule);
  return {
    instance,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
