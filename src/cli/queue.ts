import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { CliError } from './errors.ts';
import { createContext } from './context.ts';

/** One queue's state: jobs per state and how long the oldest waiting job has waited. */
export interface QueueState {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Seconds since the oldest waiting job was added (null: none waiting). */
  oldest_waiting_sec: number | null;
}

/** How long `finrep queue` waits for Redis before it gives up with one line. */
const CONNECT_MS = 5000;

/** The queues a command works on: the one named (checked), or all of finrep's. */
async function queueNames(name: string | undefined): Promise<string[]> {
  const { QUEUES } = await import('../pipeline/queue.ts');
  if (name === undefined) return [...QUEUES];
  if (!(QUEUES as readonly string[]).includes(name))
    throw new CliError(`unknown queue "${name}": expected one of ${QUEUES.join(', ')}`);
  return [name];
}

/** Runs `fn` with a BullMQ queue per name under `prefix`, and closes them. */
async function withQueues<T>(
  redis: Redis,
  names: string[],
  prefix: string,
  fn: (queues: import('bullmq').Queue[]) => Promise<T>,
): Promise<T> {
  const { Queue } = await import('bullmq');
  const queues = names.map((n) => new Queue(n, { connection: redis, prefix }));
  try {
    return await fn(queues);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}

/** Every queue's counts (the seed's `celery inspect active/reserved`). */
export async function listQueues(
  redis: Redis,
  names: string[],
  prefix: string,
  now = Date.now(),
): Promise<QueueState[]> {
  return withQueues(redis, names, prefix, (queues) =>
    Promise.all(
      queues.map(async (q) => {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
        const [oldest] = await q.getWaiting(-1, -1);
        return {
          queue: q.name,
          waiting: c.waiting ?? 0,
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
          oldest_waiting_sec: oldest ? Math.max(0, Math.round((now - oldest.timestamp) / 1000)) : null,
        };
      }),
    ),
  );
}

/** Puts every failed job back in its queue; the count per queue. */
export async function retryFailed(redis: Redis, names: string[], prefix: string): Promise<Record<string, number>> {
  return withQueues(redis, names, prefix, async (queues) => {
    const out: Record<string, number> = {};
    for (const q of queues) {
      out[q.name] = await q.getFailedCount();
      if (out[q.name]! > 0) await q.retryJobs({ state: 'failed', count: 1000 });
    }
    return out;
  });
}

/** Deletes failed jobs (and with `all`, waiting and delayed ones too); the count per queue. */
export async function purgeJobs(
  redis: Redis,
  names: string[],
  prefix: string,
  opts: { all?: boolean; dryRun?: boolean } = {},
): Promise<Record<string, number>> {
  const states = opts.all ? (['failed', 'wait', 'delayed'] as const) : (['failed'] as const);
  return withQueues(redis, names, prefix, async (queues) => {
    const out: Record<string, number> = {};
    for (const q of queues) {
      if (opts.dryRun) {
        const c = await q.getJobCounts('failed', 'waiting', 'delayed');
        out[q.name] = (c.failed ?? 0) + (opts.all ? (c.waiting ?? 0) + (c.delayed ?? 0) : 0);
        continue;
      }
      let n = 0;
      for (const state of states) n += (await q.clean(0, 100_000, state)).length;
      out[q.name] = n;
    }
    return out;
  });
}

/** A connection to `REDIS_URL`, or one line saying why there is none within {@link CONNECT_MS}. */
async function connectRedis(url: string | null): Promise<Redis> {
  if (!url)
    throw new CliError('REDIS_URL is not set: the queues live in Redis (without it, finrep runs its jobs in process)');
  const [{ Redis }, { redisOptions, redactRedisUrl }, { QueueUnavailableError }] = await Promise.all([
    import('ioredis'),
    import('../config/redis-url.ts'),
    import('../jobs/client.ts'),
  ]);
  const redis = new Redis(
    redisOptions(url, {
      lazyConnect: true,
      connectTimeout: CONNECT_MS,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      sentinelRetryStrategy: () => null,
      enableOfflineQueue: false,
    }),
  );
  let lastError = 'no answer';
  redis.on('error', (err: Error) => {
    lastError = err.message || String((err as NodeJS.ErrnoException).code);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), CONNECT_MS);
      }),
    ]);
    return redis;
  } catch (err) {
    redis.disconnect();
    const reason = lastError !== 'no answer' ? lastError : (err as Error).message;
    throw new QueueUnavailableError(
      `REDIS_URL ${redactRedisUrl(url)}: unreachable within ${CONNECT_MS / 1000} s (${reason})`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a queue action with the configured Redis and finrep's queue prefix. */
async function withRedis<T>(fn: (redis: Redis, prefix: string) => Promise<T>): Promise<T> {
  const ctx = await createContext({ level: 'warn', database: false });
  const redis = await connectRedis(ctx.config.redisUrl);
  try {
    const { QUEUE_PREFIX } = await import('../jobs/bullmq.ts');
    return await fn(redis, QUEUE_PREFIX);
  } finally {
    redis.disconnect();
  }
}

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** `finrep queue list|retry|purge [QUEUE]`: the BullMQ queues as an operator sees them (REDIS_URL). */
export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('the job queues on Redis: list, retry failed jobs, purge');
  queue
    .command('list')
    .description('waiting, active, delayed and failed jobs per queue, and the oldest waiting job’s age')
    .argument('[queue]', 'one queue (default: all)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, flags: { json?: boolean }) => {
      const names = await queueNames(name);
      const states = await withRedis((redis, prefix) => listQueues(redis, names, prefix));
      if (flags.json) {
        say(JSON.stringify(states));
        return;
      }
      say(
        `${'queue'.padEnd(12)} ${'waiting'.padStart(8)} ${'active'.padStart(7)} ${'delayed'.padStart(8)} ${'failed'.padStart(7)}  oldest waiting`,
      );
      for (const s of states)
        say(
          `${s.queue.padEnd(12)} ${String(s.waiting).padStart(8)} ${String(s.active).padStart(7)} ` +
            `${String(s.delayed).padStart(8)} ${String(s.failed).padStart(7)}  ${s.oldest_waiting_sec === null ? '-' : `${s.oldest_waiting_sec} s`}`,
        );
    });
  queue
    .command('retry')
    .description('put failed jobs back in their queue')
    .argument('[queue]', 'one queue (default: all)')
    .action(async (name: string | undefined) => {
      const names = await queueNames(name);
      const retried = await withRedis((redis, prefix) => retryFailed(redis, names, prefix));
      const total = Object.values(retried).reduce((a, b) => a + b, 0);
      say(`${total} failed jobs retried${total ? ` (${describeCounts(retried)})` : ''}`);
    });
  queue
    .command('purge')
    .description('delete failed jobs (with --all also waiting and delayed ones: needs --yes)')
    .argument('[queue]', 'one queue (default: all)')
    .option('--all', 'also the jobs still waiting or delayed (the seed’s celery purge)')
    .option('--yes', 'really delete them (required with --all)')
    .action(async (name: string | undefined, flags: { all?: boolean; yes?: boolean }) => {
      const names = await queueNames(name);
      const dryRun = flags.all && !flags.yes;
      const purged = await withRedis((redis, prefix) => purgeJobs(redis, names, prefix, { all: flags.all, dryRun }));
      const total = Object.values(purged).reduce((a, b) => a + b, 0);
      if (dryRun) {
        say(`would delete ${total} failed, waiting and delayed jobs${total ? ` (${describeCounts(purged)})` : ''}`);
        throw new CliError('nothing was deleted: run again with --yes');
      }
      say(`${total} jobs deleted${total ? ` (${describeCounts(purged)})` : ''}`);
    });
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([q, n]) => `${q} ${n}`)
    .join(', ');
}
