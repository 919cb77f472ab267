/**
 * The checks of `/healthz`: the database, Redis, the workers' and beat's heartbeats, the in-process schedule
 * (embedded shape) and the data folder's disk. Each returns what it found; `health.ts` bounds its time.
 */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { CheckOutcome, HealthCheck } from './health.ts';
import {
  BEAT_HEARTBEAT_KEY,
  WORKER_HEARTBEAT_PREFIX,
  ageSec,
  parseBeatHeartbeat,
  parseWorkerHeartbeat,
  queuesWithoutWorker,
} from './heartbeats.ts';

/** The Redis commands the checks use (ioredis provides them). */
export interface HealthRedis {
  ping(): Promise<string>;
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
}

/**
 * The database answers `ping` (`select 1`: on PostgreSQL on a connection of the check's own, so that the
 * web's pool being busy is not read as the database being down; on PGlite through the database itself).
 */
export function databaseCheck(ping: () => Promise<void>, kind: 'postgres' | 'pglite'): HealthCheck {
  return {
    name: 'database',
    run: async () => {
      await ping();
      return { ok: true, detail: { kind } };
    },
  };
}

/** Redis answers PING. */
export function redisCheck(redis: HealthRedis): HealthCheck {
  return {
    name: 'redis',
    run: async () => {
      const reply = await redis.ping();
      return reply === 'PONG' ? { ok: true } : { ok: false, message: `unexpected PING reply ${reply.slice(0, 40)}` };
    },
  };
}

/** Every key under `prefix` (SCAN, never KEYS: the queue's keys may be many). */
export async function scanKeys(redis: HealthRedis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/**
 * At least `min` workers have a fresh heartbeat (a worker's key expires three beats after its last one, so
 * a present key is a fresh one), and together they take every one of `queues` (when given: the app's queue
 * names; workers started with `--queues` may leave one to nobody, whose jobs would then wait for ever).
 */
export function workersCheck(
  redis: HealthRedis,
  opts: { min: number; queues?: readonly string[]; now?: () => Date },
): HealthCheck {
  const now = opts.now ?? (() => new Date());
  return {
    name: 'workers',
    run: async (): Promise<CheckOutcome> => {
      const keys = await scanKeys(redis, WORKER_HEARTBEAT_PREFIX);
      const values = keys.length ? await redis.mget(keys) : [];
      const beats = keys.map((k, i) => parseWorkerHeartbeat(k, values[i] ?? null));
      const ages = beats.map((b) => ageSec(b.at, now())).filter((a): a is number => a !== null);
      const detail = {
        count: beats.length,
        min: opts.min,
        active_jobs: beats.reduce((n, b) => n + (b.activeJobs ?? 0), 0),
        ...(ages.length && { oldest_heartbeat_s: Math.max(...ages) }),
      };
      const orphans = queuesWithoutWorker(opts.queues ?? [], beats);
      if (orphans.length)
        return {
          ok: false,
          message: `no worker takes jobs from the ${orphans.join(', ')} queue${orphans.length > 1 ? 's' : ''}: start a worker without --queues, or one with --queues ${orphans.join(',')}`,
          detail: { ...detail, queues_without_worker: orphans },
        };
      if (beats.length >= opts.min) return { ok: true, detail };
      const message =
        beats.length === 0
          ? 'no worker heartbeat in Redis: is `finrep worker` running?'
          : `${beats.length} worker(s) with a fresh heartbeat, HEALTH_MIN_WORKERS is ${opts.min}`;
      return { ok: false, message, detail };
    },
  };
}

/** Beat has ticked within its heartbeat's lifetime; reports the last tick and the next scheduled edition. */
export function beatCheck(
  redis: HealthRedis,
  opts: { nextEdition: (now: Date) => Date; now?: () => Date },
): HealthCheck {
  const now = opts.now ?? (() => new Date());
  return {
    name: 'beat',
    run: async (): Promise<CheckOutcome> => {
      const beat = parseBeatHeartbeat(await redis.get(BEAT_HEARTBEAT_KEY));
      if (!beat) return { ok: false, message: 'no beat heartbeat in Redis: is `finrep beat` running?' };
      const next = beat.next ?? opts.nextEdition(now());
      return {
        ok: true,
        detail: {
          last_tick: beat.at?.toISOString() ?? null,
          last_tick_age_s: ageSec(beat.at, now()),
          next_edition: next.toISOString(),
        },
      };
    },
  };
}

/** The embedded shape's scheduler runs in this process: it is up when this answers; reports its next edition. */
export function inProcessScheduleCheck(opts: { nextEdition: (now: Date) => Date; now?: () => Date }): HealthCheck {
  const now = opts.now ?? (() => new Date());
  return {
    name: 'beat',
    run: async () => ({
      ok: true,
      detail: { mode: 'in-process', next_edition: opts.nextEdition(now()).toISOString() },
    }),
  };
}

/** The data folder, or the nearest folder above it that exists (where it will be created). */
async function existingFolder(dir: string): Promise<string> {
  let at = path.resolve(dir);
  for (;;) {
    try {
      await statfs(at);
      return at;
    } catch (err) {
      const parent = path.dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err;
      at = parent;
    }
  }
}

/** The data folder's file system keeps at least `minFreeMb` MB and `minFreePercent` % free. */
export function diskCheck(dataDir: string, opts: { minFreeMb: number; minFreePercent: number }): HealthCheck {
  return {
    name: 'disk',
    run: async (): Promise<CheckOutcome> => {
      const fs = await statfs(await existingFolder(dataDir));
      const freeMb = Math.floor((fs.bavail * fs.bsize) / 1048576);
      const totalMb = Math.floor((fs.blocks * fs.bsize) / 1048576);
      const freePercent = totalMb > 0 ? Math.round((freeMb / totalMb) * 1000) / 10 : 0;
      const detail = { free_mb: freeMb, total_mb: totalMb, free_percent: freePercent };
      if (freeMb >= opts.minFreeMb && freePercent >= opts.minFreePercent) return { ok: true, detail };
      return {
        ok: false,
        message: `data folder's disk has ${freeMb} MB (${freePercent} %) free; HEALTH_DISK_MIN_FREE_MB is ${opts.minFreeMb}, HEALTH_DISK_MIN_FREE_PERCENT ${opts.minFreePercent}`,
        detail,
      };
    },
  };
}
