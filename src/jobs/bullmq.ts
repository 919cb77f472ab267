import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis, ReplyError } from 'ioredis';
import { redisOptions } from '../config/redis-url.ts';
import type { Logger } from '../log.ts';
import { ServiceUnavailableError } from '../pipeline/errors.ts';
import { isPermanent } from './errors.ts';
import { DEFAULT_ATTEMPTS } from './queue.ts';
import type { JobHandle, JobHandler, JobQueue, JobState, NewJob, QueueName, QueueSettings } from './queue.ts';

/** Key prefix of every finrep queue in Redis. */
export const QUEUE_PREFIX = 'finrep';

/** Completed jobs stay two weeks (their results are the runs' records), failed ones a month. */
const KEEP = {
  removeOnComplete: { age: 14 * 86_400, count: 200_000 },
  removeOnFail: { age: 30 * 86_400, count: 50_000 },
};

/**
 * A Redis connection as BullMQ wants it: commands wait while Redis restarts (no per-request retry limit),
 * and reconnection never gives up — a worker outlives a Redis restart.
 */
export function redisConnection(url: string, log?: Logger): Redis {
  const redis = new Redis(
    redisOptions(url, {
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      retryStrategy: (times) => Math.min(200 * times, 5000),
    }),
  );
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log?.warn({ err: err.message }, 'redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (down) log?.info('redis connection restored');
    down = false;
  });
  return redis;
}

/**
 * A failed Redis command as the pipeline knows it: an error of the connection (not a reply of the server)
 * is a {@link ServiceUnavailableError}, waited out by the orchestrator.
 */
function fromRedis(err: unknown): unknown {
  if (err instanceof ReplyError || err instanceof ServiceUnavailableError || !(err instanceof Error)) return err;
  return new ServiceUnavailableError(`redis: ${err.message}`, { cause: err });
}

/** The BullMQ side of the queue: adding jobs and reading their state (no processing). */
export class BullQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly settings: Partial<Record<QueueName, Partial<QueueSettings>>> = {},
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: QUEUE_PREFIX });
      q.on('error', () => {
        /* reported by the connection */
      });
      this.queues.set(name, q);
    }
    return q;
  }

  async add<T>(queue: QueueName, jobs: NewJob<T>[]): Promise<void> {
    await this.addJobs(queue, jobs).catch((err: unknown) => {
      throw fromRedis(err);
    });
  }

  private async addJobs<T>(queue: QueueName, jobs: NewJob<T>[]): Promise<void> {
    if (jobs.length === 0) return;
    const attempts = this.settings[queue]?.attempts ?? DEFAULT_ATTEMPTS[queue];
    for (let i = 0; i < jobs.length; i += 500) {
      await this.queue(queue).addBulk(
        jobs.slice(i, i + 500).map((j) => ({
          name: queue,
          data: j.data,
          opts: { jobId: j.id, attempts, backoff: { type: 'exponential', delay: 2000 }, ...KEEP },
        })),
      );
    }
  }

  async states(queue: QueueName, ids: readonly string[]): Promise<JobState[]> {
    if (ids.length === 0) return [];
    const q = this.queue(queue);
    const pipe = this.connection.pipeline();
    for (const id of ids) {
      // BullMQ 6 keeps the attempts made as `atm` (older versions: `attemptsMade`).
      pipe.hmget(
        q.toKey(id),
        'processedOn',
        'finishedOn',
        'returnvalue',
        'failedReason',
        'atm',
        'data',
        'attemptsMade',
      );
      pipe.zscore(q.toKey('failed'), id);
      // Held by a worker: `processedOn` stays set on a job handed back or waiting for its retry.
      pipe.exists(`${q.toKey(id)}:lock`);
    }
    const replies =
      (await pipe.exec().catch((err: unknown) => {
        throw fromRedis(err);
      })) ?? [];
    return ids.map((id, i) => {
      const [errA, fields] = replies[3 * i] ?? [];
      const [errB, failedScore] = replies[3 * i + 1] ?? [];
      const [errC, locked] = replies[3 * i + 2] ?? [];
      if (errA || errB || errC) throw errA ?? errB ?? errC;
      const [processedOn, finishedOn, returnvalue, failedReason, atm, data, attemptsMade] = fields as (string | null)[];
      const attempts = Number(atm ?? attemptsMade ?? 0);
      if (data === null && processedOn === null && finishedOn === null) return { id, status: 'missing', attempts: 0 };
      if (failedScore !== null) return { id, status: 'failed', error: failedReason, attempts };
      if (finishedOn)
        return { id, status: 'completed', result: returnvalue ? (JSON.parse(returnvalue) as unknown) : null, attempts };
      return { id, status: locked === 1 ? 'active' : 'pending', error: failedReason, attempts };
    });
  }

  async cancel(queue: QueueName, ids: readonly string[]): Promise<number> {
    let removed = 0;
    for (const id of ids) {
      // A job a worker holds is locked and stays; the others go.
      removed += await this.queue(queue)
        .remove(id)
        .catch(() => 0);
    }
    return removed;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => {})));
    this.queues.clear();
  }
}

export interface BullWorkerOptions {
  connection: () => Redis;
  handlers: Partial<Record<QueueName, JobHandler<never>>>;
  /** Per queue: this worker's concurrency; `global` also caps the queue across all workers. */
  settings: Partial<Record<QueueName, { concurrency: number; global?: boolean }>>;
  log: Logger;
  /** How long a job stays ours without renewal: a crashed worker's jobs are taken over after this. @defaultValue 30000 */
  lockMs?: number;
  /** Take-overs before a job is failed (a job that crashes its worker every time must end). @defaultValue 20 */
  maxStalled?: number;
  onActive?: (queue: QueueName, id: string, active: boolean) => void;
  /** Queues a job again under its id (a no-op while Redis still knows it): see {@link BullWorkers} on lost locks. */
  requeue?: (queue: QueueName, id: string, data: unknown) => Promise<void>;
}

/**
 * When BullMQ tries `job` again after its current attempt throws `err` (the `backoff` of {@link BullQueue}:
 * exponential from 2 s), or null when it will not: the attempts are spent or the error is permanent.
 */
function retryDelay(job: Job, err: unknown): number | null {
  const attempt = job.attemptsMade + 1;
  if (isPermanent(err) || err instanceof UnrecoverableError || attempt >= (job.opts.attempts ?? 1)) return null;
  const backoff = job.opts.backoff;
  const delay = typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0);
  return typeof backoff === 'object' && backoff.type === 'exponential' ? delay * 2 ** (attempt - 1) : delay;
}

/** The processing side: one BullMQ Worker per queue with a handler. */
export class BullWorkers {
  private readonly workers: { name: QueueName; worker: Worker }[] = [];
  private readonly controller = new AbortController();
  private readonly active = new Map<
    string,
    { job: Job; token: string | undefined; handle: JobHandle; lost: AbortController }
  >();
  private stopping = false;

  constructor(private readonly opts: BullWorkerOptions) {}

  async start(): Promise<void> {
    const lockMs = this.opts.lockMs ?? 30_000;
    for (const [name, handler] of Object.entries(this.opts.handlers) as [QueueName, JobHandler][]) {
      const s = this.opts.settings[name] ?? { concurrency: 1 };
      if (s.global) {
        const q = new Queue(name, { connection: this.opts.connection(), prefix: QUEUE_PREFIX });
        await q.setGlobalConcurrency(s.concurrency);
        await q.close();
      }
      const worker = new Worker(name, async (job: Job, token?: string) => this.process(name, handler, job, token), {
        connection: this.opts.connection(),
        prefix: QUEUE_PREFIX,
        concurrency: s.concurrency,
        lockDuration: lockMs,
        stalledInterval: Math.max(1000, Math.round(lockMs / 2)),
        maxStalledCount: this.opts.maxStalled ?? 20,
        autorun: true,
      });
      worker.on('error', (err) => this.opts.log.warn({ queue: name, err: err.message }, 'queue worker error'));
      worker.on('failed', (job, err) => {
        if (err instanceof WaitingError) return;
        const final = !job || err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
        this.opts.log[final ? 'error' : 'warn'](
          { queue: name, job_id: job?.id, attempt: job?.attemptsMade, err: err.message },
          final ? 'job failed' : 'job attempt failed; will retry',
        );
      });
      worker.on('stalled', (id) =>
        this.opts.log.warn({ queue: name, job_id: id }, 'job taken over from a worker that stopped answering'),
      );
      worker.on('lockRenewalFailed', (ids: string[]) => {
        for (const id of ids) void this.lockLost(name, id);
      });
      this.workers.push({ name, worker });
    }
  }

  get activeJobs(): number {
    return this.active.size;
  }

  private async process(name: QueueName, handler: JobHandler, job: Job, token: string | undefined): Promise<unknown> {
    const key = `${name}/${job.id}`;
    const earlier = this.active.get(key);
    if (earlier) {
      // Handed out again while an earlier copy still runs here (Redis lost the job and it was queued again):
      // the earlier copy stops, and this one waits a lock period — BullMQ keeps locks by job id, so two
      // copies in one process would renew one lock between them.
      this.abandon(name, job.id!, earlier);
      await job.moveToDelayed(Date.now() + (this.opts.lockMs ?? 30_000), token);
      throw new DelayedError();
    }
    const lost = new AbortController();
    const handle: JobHandle = {
      id: job.id!,
      queue: name,
      attempt: job.attemptsMade + 1,
      attempts: job.opts.attempts ?? 1,
      retryIn: (err) => retryDelay(job, err),
      data: job.data as unknown,
      signal: AbortSignal.any([this.controller.signal, lost.signal]),
      scheduledAt: job.timestamp + (job.opts.delay ?? 0),
      updateData: async (data) => {
        await job.updateData(data);
        handle.data = data;
      },
    };
    const entry = { job, token, handle, lost };
    this.active.set(key, entry);
    this.opts.onActive?.(name, job.id!, true);
    try {
      return await handler(handle);
    } catch (err) {
      if (this.stopping && this.controller.signal.aborted) {
        // Shutting down: hand the job back untouched, for another worker (or this one after its restart).
        await job.moveToWait(token).catch(() => {});
        throw new WaitingError();
      }
      // No retry can mend it: BullMQ fails the job now instead of trying it `attempts` times.
      if (isPermanent(err)) throw Object.assign(new UnrecoverableError((err as Error).message), { cause: err });
      throw err;
    } finally {
      if (this.active.get(key) === entry) this.active.delete(key);
      this.opts.onActive?.(name, job.id!, false);
    }
  }

  /**
   * A job whose lock could not be renewed is no longer this worker's: the stalled-job check hands it to
   * another worker (this process stalled past the lock), or Redis lost it (restarted without its data). Its
   * handler's signal is aborted, so that one process, not two, goes on with the job — the edition
   * orchestrator stops at its next look at its jobs — and a job Redis lost is first queued again with its
   * latest data, to be resumed by any worker.
   */
  private async lockLost(name: QueueName, id: string): Promise<void> {
    const entry = this.active.get(`${name}/${id}`);
    if (!entry || entry.lost.signal.aborted) return;
    await this.opts
      .requeue?.(name, id, entry.handle.data)
      .catch((err: unknown) =>
        this.opts.log.warn(
          { queue: name, job_id: id, err: (err as Error).message },
          'could not queue a lost job again',
        ),
      );
    this.abandon(name, id, entry);
  }

  private abandon(name: QueueName, id: string, entry: { lost: AbortController }): void {
    if (entry.lost.signal.aborted) return;
    this.opts.log.warn({ queue: name, job_id: id }, 'job lock lost: the job is left to another worker');
    entry.lost.abort(new Error(`job ${id} lost its lock: another worker runs it now`));
  }

  /**
   * Stops taking jobs and lets the running ones finish within `graceMs`; after that, their handlers are
   * aborted and the jobs handed back to the queue (moved to wait) for another worker.
   */
  async close(graceMs: number): Promise<{ released: number }> {
    this.stopping = true;
    const closing = Promise.all(this.workers.map(({ worker }) => worker.close()));
    let released = 0;
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([closing.then(() => 'done' as const), timer])) === 'timeout') {
      released = this.active.size;
      for (const { job, token } of this.active.values()) await job.moveToWait(token).catch(() => {});
      this.controller.abort();
      await Promise.race([closing, new Promise((r) => setTimeout(r, 5000).unref())]);
      await Promise.all(this.workers.map(({ worker }) => worker.close(true).catch(() => {})));
    }
    return { released };
  }
}
