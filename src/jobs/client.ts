import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { redactRedisUrl } from '../config/redis-url.ts';
import type { Db } from '../db/client.ts';
import { runsQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { prepareRun } from '../pipeline/edition.ts';
import { jobIds } from '../pipeline/queue.ts';
import type { EditionJob } from '../pipeline/queue.ts';
import type { RunSummary } from '../pipeline/summary.ts';
import { BullQueue, redisConnection } from './bullmq.ts';
import { HEARTBEAT_PREFIX } from './worker.ts';

/** Redis stayed unreachable longer than a command waits (`REDIS_WAIT_SEC`): names the server (password hidden) and what was being done. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

const CONNECTING = 'connecting (nothing was queued)';

/** Follows a command's Redis connection: its `guard` fails once Redis has been unreachable for `waitMs` in a row. */
interface RedisWatch {
  /** `work`, or a {@link QueueUnavailableError} naming `doing` when Redis is (or stays) unreachable too long. */
  guard<T>(doing: string, work: Promise<T>): Promise<T>;
  stop(): void;
}

/**
 * Starts the clock whenever the connection is not ready (from the start, and on each loss) and stops it when
 * Redis answers again: a restart of a few seconds is waited out, an outage ends the command. The connection
 * itself retries for ever, as a worker's does; the command is what gives up.
 */
function watchRedis(
  connection: Redis,
  o: { url: string; waitMs: number; progress?: (line: string) => void },
): RedisWatch {
  const server = `REDIS_URL ${redactRedisUrl(o.url)}`;
  let doing = CONNECTING;
  let lastError = 'no answer';
  let timer: NodeJS.Timeout | null = null;
  let fail!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {
    /* surfaced by the next guard */
  });
  const arm = () => {
    timer ??= setTimeout(() => {
      fail(
        new QueueUnavailableError(
          `${server}: unreachable for ${Math.round(o.waitMs / 1000)} s (${lastError}) while ${doing}`,
        ),
      );
    }, o.waitMs);
  };
  let lost = false;
  const onError = (err: Error) => {
    lastError = err.message || String((err as NodeJS.ErrnoException).code ?? err.name);
  };
  const onClose = () => {
    arm();
    if (!lost && doing !== CONNECTING)
      o.progress?.(`${server} unreachable: waiting up to ${Math.round(o.waitMs / 1000)} s for it (REDIS_WAIT_SEC)`);
    lost = true;
  };
  const onReady = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (lost && doing !== CONNECTING) o.progress?.(`${server} answers again`);
    lost = false;
  };
  connection.on('error', onError);
  connection.on('close', onClose);
  connection.on('ready', onReady);
  if (connection.status !== 'ready') arm();
  return {
    guard(what, work) {
      doing = what;
      return Promise.race([work, failed]);
    },
    stop() {
      if (timer) clearTimeout(timer);
      connection.off('error', onError).off('close', onClose).off('ready', onReady);
    },
  };
}

/** Resolves once the connection is ready. */
function ready(connection: Redis): Promise<void> {
  return connection.status === 'ready'
    ? Promise.resolve()
    : new Promise((resolve) => connection.once('ready', () => resolve()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `finrep run` with `REDIS_URL`: queues the edition for the workers, follows its run's events on the
 * terminal, and returns the summary the worker produced. Fails with a {@link QueueUnavailableError} when Redis
 * is unreachable for `REDIS_WAIT_SEC` in a row, before the edition is queued (no run is recorded) or while
 * waiting for it (the queued run goes on if a worker has it).
 */
export async function runEditionViaQueue(
  deps: { db: Db; config: Config; log: Logger; progress?: (line: string) => void },
  job: Omit<EditionJob, 'runId'>,
  opts: { pollMs?: number; noWorkerWarnMs?: number } = {},
): Promise<RunSummary> {
  const { db, config } = deps;
  // No log on the connection: this command says itself when Redis goes away, and gives up.
  const connection = redisConnection(config.redisUrl!);
  const redis = watchRedis(connection, {
    url: config.redisUrl!,
    waitMs: config.jobs.redisWaitSec * 1000,
    progress: deps.progress,
  });
  const queue = new BullQueue(connection);
  try {
    await redis.guard(CONNECTING, ready(connection));
    const { runId } = await prepareRun(db, config, job.date, job.trigger ?? 'cli');
    const id = jobIds.edition(job.date, runId);
    await redis.guard(
      `queuing the edition ${job.date} (run ${runId})`,
      queue.add<EditionJob>('edition', [{ id, data: { ...job, runId } }]),
    );
    deps.progress?.(`queued as job ${id} (run ${runId}); waiting for a worker`);
    const waiting = `waiting for edition job ${id} (run ${runId})`;
    const started = Date.now();
    let lastEvent = 0;
    let warned = false;
    for (;;) {
      for (const e of await runsQ.listRunEvents(db, runId, lastEvent).catch(() => [])) {
        lastEvent = e.id;
        if (e.kind !== 'progress')
          deps.progress?.(
            `${e.kind === 'error' ? '✘' : e.kind === 'end' ? '✔' : '·'} ${e.stage ? `${e.stage}: ` : ''}${e.message}`,
          );
      }
      const [state] = await redis.guard(waiting, queue.states('edition', [id]));
      if (state?.status === 'completed') return state.result as RunSummary;
      if (state?.status === 'failed') throw new Error(`edition job ${id} failed: ${state.error ?? 'unknown error'}`);
      if (state?.status === 'missing') {
        // Redis lost the job (restarted without persistence): the run's record says whether it finished.
        const run = await runsQ.getRun(db, runId);
        if (run?.status === 'ok' || run?.status === 'partial') return run.summary as unknown as RunSummary;
        deps.progress?.(`job ${id} is no longer in Redis (restarted?): queued again; the run resumes where it was`);
        await redis.guard(
          waiting,
          queue.add<EditionJob>('edition', [{ id, data: { ...job, runId, startedBy: run?.worker ?? 'unknown' } }]),
        );
      }
      if (!warned && Date.now() - started > (opts.noWorkerWarnMs ?? 10_000) && state?.status === 'pending') {
        const workers = await redis.guard(waiting, connection.keys(`${HEARTBEAT_PREFIX}*`));
        if (workers.length === 0) deps.progress?.('no worker is running on this Redis: start one with `finrep worker`');
        warned = true;
      }
      await redis.guard(waiting, sleep(opts.pollMs ?? 1000));
    }
  } finally {
    redis.stop();
    // Commands still waiting for Redis are dropped with the connection; closing the queues then cannot hang.
    connection.disconnect();
    await Promise.race([queue.close(), sleep(1000)]);
  }
}
