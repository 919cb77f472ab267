/**
 * The checks `/healthz` runs in a web process, chosen from the configuration: PostgreSQL or PGlite and the
 * disk always; with REDIS_URL, Redis and (unless this process runs the jobs itself) the workers' and beat's
 * heartbeats; in the embedded shape (`finrep start`), the in-process schedule's next edition.
 */
import { QUEUES } from '../pipeline/queue.ts';
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config/index.ts';
import { redisOptions } from '../config/redis-url.ts';
import type { Db } from '../db/client.ts';
import { ping, pingConnection } from '../db/queries/health.ts';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { createHealth } from './health.ts';
import type { Health, HealthCheck } from './health.ts';
import type { HealthRedis } from './health-checks.ts';
import {
  beatCheck,
  databaseCheck,
  diskCheck,
  inProcessScheduleCheck,
  redisCheck,
  workersCheck,
} from './health-checks.ts';

/**
 * A check's result answers the requests of the next 250 ms: /healthz is public, and however often it is
 * asked, the database and Redis see at most four checks a second — well inside the one second in which a
 * failure must show.
 */
const REUSE_MS = 250;

/**
 * The health connection's ping that has not answered after this many check timeouts ends its connection,
 * and the next check opens another: before `health.ts` gives the run up (30 timeouts), so one connection at
 * a time.
 */
const GIVE_UP_TIMEOUTS = 10;

/** What the web server's health needs. */
export interface WebHealthDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** This process runs the schedule and the jobs itself (`finrep start`): no workers or beat to look for. */
  inProcess: boolean;
}

/** The next fire time of the configured schedule (`SCHEDULE_CRON` in `TZ`) after `now`. */
export function nextScheduledEdition(config: Config): (now: Date) => Date {
  return (now) =>
    CronExpressionParser.parse(config.report.cron, { tz: config.timeZone, currentDate: now }).next().toDate();
}

/**
 * The connection's commands, held until it first connects (or fails to): without an offline queue a command
 * sent while the server starts would fail although Redis is fine. Once it has connected, they fail at once
 * while disconnected.
 */
function waitingForFirstConnection(redis: Redis): HealthRedis {
  let connected = redis.status === 'ready';
  redis.once('ready', () => (connected = true));
  const firstAttempt = () =>
    new Promise<void>((resolve, reject) => {
      const onReady = () => {
        redis.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        redis.off('ready', onReady);
        reject(err);
      };
      redis.once('ready', onReady);
      redis.once('error', onError);
    });
  const when = <T>(send: () => Promise<T>) => (connected ? send() : firstAttempt().then(send));
  return {
    ping: () => when(() => redis.ping()),
    get: (key) => when(() => redis.get(key)),
    mget: (keys) => when(() => redis.mget(keys)),
    scan: (cursor, m, pattern, c, n) => when(() => redis.scan(cursor, m, pattern, c, n)),
  };
}

/**
 * The web process's health and the means to release its connections. On PostgreSQL the database check pings
 * on a connection of its own (`finrep-health` in pg_stat_activity), outside the pool the console's requests
 * keep busy. The Redis connection is its own too (not the rate limiter's), fails commands at once while
 * disconnected (no offline queue) and reconnects within a second, so a Redis that went away shows within one
 * poll and one that came back within about a second.
 * @example const { health, close } = await createWebHealth({ config, db, log, inProcess: false });
 */
export async function createWebHealth(deps: WebHealthDeps): Promise<{ health: Health; close(): Promise<void> }> {
  const { config, db, log, inProcess } = deps;
  const nextEdition = nextScheduledEdition(config);
  // PostgreSQL: a connection of the check's own, outside the pool the console's requests keep busy.
  const pingOn = config.databaseUrl
    ? pingConnection(config.databaseUrl, { giveUpMs: config.health.checkTimeoutMs * GIVE_UP_TIMEOUTS })
    : null;
  const checks: HealthCheck[] = [
    databaseCheck(pingOn ? () => pingOn.ping() : () => ping(db), pingOn ? 'postgres' : 'pglite'),
  ];
  const closers: (() => Promise<void>)[] = pingOn ? [() => pingOn.close()] : [];
  if (config.redisUrl) {
    const { Redis } = await import('ioredis');
    const timeout = config.health.checkTimeoutMs;
    const redis = new Redis(
      redisOptions(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: Math.max(timeout, 1000),
        commandTimeout: timeout,
        retryStrategy: (times) => Math.min(times * 100, 1000),
        connectionName: 'finrep:healthz',
      }),
    );
    redis.on('error', (err: Error) => log.debug({ err: err.message }, 'healthz: redis error'));
    const client = waitingForFirstConnection(redis);
    checks.push(redisCheck(client));
    if (!inProcess) {
      checks.push(workersCheck(client, { min: config.health.minWorkers, queues: QUEUES }));
      checks.push(beatCheck(client, { nextEdition }));
    }
    closers.push(async () => redis.disconnect());
  }
  if (inProcess) checks.push(inProcessScheduleCheck({ nextEdition }));
  checks.push(
    diskCheck(config.dataDir, {
      minFreeMb: config.health.diskMinFreeMb,
      minFreePercent: config.health.diskMinFreePercent,
    }),
  );
  const health = createHealth(checks, {
    timeoutMs: config.health.checkTimeoutMs,
    reuseMs: REUSE_MS,
    secrets: [config.redisUrl, config.databaseUrl],
  });
  return {
    health,
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
}
