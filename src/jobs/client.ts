import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { redactRedisUrl } from '../config/redis-url.ts';
import type { Db } from '../db/client.ts';
import { alertsQ, editionsQ, runsQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { nextEditionDate } from '../alerts/run.ts';
import type { AlertRunSummary, SkippedAlertRun } from '../alerts/run.ts';
import { prepareRun } from '../pipeline/edition.ts';
import { jobIds } from '../pipeline/queue.ts';
import { windowOf } from '../pipeline/run.ts';
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
  deps: QueueClientDeps,
  job: Omit<EditionJob, 'runId'>,
  opts: FollowOptions = {},
): Promise<RunSummary> {
  return withQueue(deps, async (q) => {
    const { runId } = await prepareRun(deps.db, deps.config, job.date, job.trigger ?? 'cli');
    const id = jobIds.edition(job.date, runId);
    return queueAndFollow<RunSummary>(deps, q, { id, data: { ...job, runId }, what: 'edition' }, opts);
  });
}

/**
 * `finrep alerts run` with `REDIS_URL`: starts the record of an alert run for the next edition's window (or
 * finds another alert run live, and returns why it skipped), queues it as an `edition` job with trigger
 * `alerts` for the workers, follows its events and returns the summary the worker produced. Redis
 * unreachable: as {@link runEditionViaQueue}.
 */
export async function runAlertsViaQueue(
  deps: QueueClientDeps & { now?: () => Date },
  opts: FollowOptions = {},
): Promise<AlertRunSummary | SkippedAlertRun> {
  return withQueue(deps, async (q) => {
    const { db, config } = deps;
    const date = nextEditionDate(config, (deps.now ?? (() => new Date()))());
    const window = windowOf(config, date);
    const edition = await editionsQ.ensureEdition(db, date, window.from, window.to);
    const claim = await alertsQ.claimAlertRun(db, edition.id, { worker: null, jobId: null });
    if ('activeRunId' in claim)
      return {
        skipped: `alert run ${claim.activeRunId} is still running (${claim.worker ?? 'not picked up yet'}, since ${claim.startedAt.toISOString()})`,
        run_id: claim.activeRunId,
      };
    const id = `alerts-r${claim.runId}`;
    const data = { date, trigger: 'alerts', runId: claim.runId } satisfies EditionJob;
    return queueAndFollow<AlertRunSummary>(deps, q, { id, data, what: 'alert' }, opts);
  });
}

interface QueueClientDeps {
  db: Db;
  config: Config;
  log: Logger;
  progress?: (line: string) => void;
}

interface FollowOptions {
  pollMs?: number;
  noWorkerWarnMs?: number;
}

interface QueueClient {
  connection: Redis;
  queue: BullQueue;
  redis: RedisWatch;
}

/** A connection to `REDIS_URL` that gives up after `REDIS_WAIT_SEC` unreachable, for one command. */
async function withQueue<T>(deps: QueueClientDeps, work: (q: QueueClient) => Promise<T>): Promise<T> {
  const { config } = deps;
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
    return await work({ connection, queue, redis });
  } finally {
    redis.stop();
    // Commands still waiting for Redis are dropped with the connection; closing the queues then cannot hang.
    connection.disconnect();
    await Promise.race([queue.close(), sleep(1000)]);
  }
}

/** Queues the `edition` job of a recorded run, follows the run's events, and returns the job's result. */
async function queueAndFollow<T>(
  deps: QueueClientDeps,
  { connection, queue, redis }: QueueClient,
  job: { id: string; data: EditionJob & { runId: number }; what: 'edition' | 'alert' },
  opts: FollowOptions,
): Promise<T> {
  const { db } = deps;
  const { id, data } = job;
  const runId = data.runId;
  const label = job.what === 'edition' ? `the edition ${data.date}` : `the alert run for ${data.date}`;
  await redis.guard(`queuing ${label} (run ${runId})`, queue.add<EditionJob>('edition', [{ id, data }]));
  deps.progress?.(`queued as job ${id} (run ${runId}); waiting for a worker`);
  const waiting = `waiting for ${job.what} job ${id} (run ${runId})`;
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
    if (state?.status === 'completed') return state.result as T;
    if (state?.status === 'failed') throw new Error(`${job.what} job ${id} failed: ${state.error ?? 'unknown error'}`);
    if (state?.status === 'missing') {
      // Redis lost the job (restarted without persistence): the run's record says whether it finished.
      const run = await runsQ.getRun(db, runId);
      if (run?.status === 'ok' || run?.status === 'partial') return run.summary as unknown as T;
      deps.progress?.(`job ${id} is no longer in Redis (restarted?): queued again; the run resumes where it was`);
      await redis.guard(
        waiting,
        queue.add<EditionJob>('edition', [{ id, data: { ...data, startedBy: run?.worker ?? 'unknown' } }]),
      );
    }
    if (!warned && Date.now() - started > (opts.noWorkerWarnMs ?? 10_000) && state?.status === 'pending') {
      const workers = await redis.guard(waiting, connection.keys(`${HEARTBEAT_PREFIX}*`));
      if (workers.length === 0) deps.progress?.('no worker is running on this Redis: start one with `finrep worker`');
      warned = true;
    }
    await redis.guard(waiting, sleep(opts.pollMs ?? 1000));
  }
}
