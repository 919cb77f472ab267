/**
 * `finrep worker`: runs the pipeline's jobs from BullMQ — any number of these, on any machine, against one
 * Redis and one PostgreSQL. Graceful on SIGTERM (stops taking jobs, finishes or hands back the running
 * ones within the grace period), exits cleanly above a memory threshold (its supervisor restarts it), and
 * keeps a heartbeat key in Redis for health checks.
 */
import type { Redis } from 'ioredis';
import { BullQueue, BullWorkers, redisConnection } from './bullmq.ts';
import { WORKER_ID, pipelineProcess, queueSettings } from './process.ts';
import type { ProcessDeps } from './process.ts';
import type { QueueName } from './queue.ts';
import { QUEUES } from './queue.ts';

export const HEARTBEAT_PREFIX = 'finrep:heartbeat:worker:';

export type WorkerDeps = Omit<ProcessDeps, 'progress' | 'tiers' | 'chain'>;

export interface WorkerOptions {
  /** Jobs at once per stage queue in this process (capped by the stage limits). */
  concurrency?: number | null;
  /** Only these queues (default: all). */
  queues?: readonly QueueName[];
  heartbeatMs?: number;
  memoryCheckMs?: number;
}

export interface RunningWorker {
  /** Resolves with the reason the worker stopped. */
  stopped: Promise<'signal' | 'memory'>;
  stop(reason?: 'signal' | 'memory'): Promise<void>;
}

/** Starts the worker; it runs until `stop()` (SIGTERM/SIGINT in the CLI) or the memory watchdog stops it. */
export async function startWorker(deps: WorkerDeps, opts: WorkerOptions = {}): Promise<RunningWorker> {
  const { config, log } = deps;
  if (!config.redisUrl)
    throw new Error(
      'REDIS_URL: required for `finrep worker` (without Redis, `finrep start` runs everything in one process)',
    );
  const connections: Redis[] = [];
  const connect = () => {
    const c = redisConnection(config.redisUrl!, log);
    connections.push(c);
    return c;
  };
  const proc = pipelineProcess(deps);
  const settings = queueSettings(config, proc.tiers, 'bullmq');
  const queueConnection = connect();
  const queue = new BullQueue(queueConnection, settings);
  const handlers = proc.handlers(queue);
  const selected = opts.queues ?? QUEUES;
  const cap = opts.concurrency ?? config.jobs.workerConcurrency;
  const workerSettings = Object.fromEntries(
    selected.map((q) => {
      const s = settings[q];
      return [q, { concurrency: cap ? Math.min(cap, s.concurrency) : s.concurrency, global: s.global }];
    }),
  );
  // The global caps are the configured limits, whatever one worker's share is. They are keys in Redis: a
  // Redis restarted without its data has lost them (and dedup must stay one at a time), so they are set
  // again whenever the connection comes back.
  const applyGlobalCaps = async () => {
    for (const q of selected)
      if (settings[q].global) await queue.queue(q).setGlobalConcurrency(settings[q].concurrency);
  };
  await applyGlobalCaps();
  queueConnection.on(
    'ready',
    () =>
      void applyGlobalCaps().catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, "could not set the queues' global concurrency"),
      ),
  );
  const workers = new BullWorkers({
    connection: connect,
    log,
    lockMs: config.jobs.lockSec * 1000,
    requeue: (q, id, data) => queue.add(q, [{ id, data }]),
    handlers: Object.fromEntries(selected.map((q) => [q, handlers[q]!])),
    settings: workerSettings,
  });
  await workers.start();
  const started = new Date();
  log.info({ worker: WORKER_ID, queues: selected, concurrency: workerSettings }, 'worker started');

  const heartbeatKey = `${HEARTBEAT_PREFIX}${WORKER_ID}`;
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const hb = connect();
  const beatOnce = () =>
    hb
      .set(
        heartbeatKey,
        JSON.stringify({
          worker: WORKER_ID,
          pid: process.pid,
          started_at: started.toISOString(),
          at: new Date().toISOString(),
          rss_mb: Math.round(process.memoryUsage().rss / 1048576),
          active_jobs: workers.activeJobs,
          queues: selected,
        }),
        'PX',
        heartbeatMs * 3,
      )
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'heartbeat failed'));
  await beatOnce();
  const heartbeat = setInterval(() => void beatOnce(), heartbeatMs);

  let resolveStopped!: (r: 'signal' | 'memory') => void;
  const stopped = new Promise<'signal' | 'memory'>((r) => {
    resolveStopped = r;
  });
  let stopping: Promise<void> | null = null;
  const stop = (reason: 'signal' | 'memory' = 'signal') => {
    stopping ??= (async () => {
      clearInterval(heartbeat);
      clearInterval(watchdog);
      log.info(
        { worker: WORKER_ID, reason, grace_sec: config.jobs.graceSec, active_jobs: workers.activeJobs },
        'worker stopping',
      );
      const { released } = await workers.close(config.jobs.graceSec * 1000);
      if (released > 0)
        log.warn({ worker: WORKER_ID, released }, 'grace period over: running jobs handed back to the queue');
      await hb.del(heartbeatKey).catch(() => {});
      await queue.close();
      await proc.close();
      for (const c of connections) c.disconnect();
      log.info({ worker: WORKER_ID }, 'worker stopped');
      resolveStopped(reason);
    })();
    return stopping;
  };
  const limit = config.jobs.maxRssMb * 1048576;
  const watchdog = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > limit) {
      log.warn(
        { worker: WORKER_ID, rss_mb: Math.round(rss / 1048576), limit_mb: config.jobs.maxRssMb },
        'memory above WORKER_MAX_RSS_MB: finishing jobs and exiting for a restart',
      );
      void stop('memory');
    }
  }, opts.memoryCheckMs ?? 5000);
  watchdog.unref();
  return { stopped, stop };
}
