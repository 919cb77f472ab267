/**
 * The heartbeats workers and beat keep in Redis (src/jobs/worker.ts, src/jobs/beat.ts), as the health checks
 * read them. This module imports nothing: `finrep health worker|beat` loads it without the app.
 */

/** A worker's key is this prefix and its id (`host:pid`); it expires three heartbeats after the last one. */
export const WORKER_HEARTBEAT_PREFIX = 'finrep:heartbeat:worker:';
/** Beat's key; it expires three refreshes after the last one. */
export const BEAT_HEARTBEAT_KEY = 'finrep:heartbeat:beat';

/** What a worker's heartbeat says (fields may be missing when written by another version). */
export interface WorkerHeartbeat {
  worker: string;
  at: Date | null;
  activeJobs: number | null;
  rssMb: number | null;
  /** The queues it takes jobs from (null: written by a version that did not say, which took them all). */
  queues: string[] | null;
}

/** What beat's heartbeat says: its last tick and the next scheduled edition. */
export interface BeatHeartbeat {
  at: Date | null;
  next: Date | null;
  cron: string | null;
  tz: string | null;
}

function parseObject(raw: string | null): Record<string, unknown> | null {
  if (!raw) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const dateOf = (v: unknown): Date | null => {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};
const numberOf = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const stringOf = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Parses a worker's heartbeat value; a value that is not one still counts as a live worker named by its key. */
export function parseWorkerHeartbeat(key: string, raw: string | null): WorkerHeartbeat {
  const o = parseObject(raw) ?? {};
  return {
    worker: stringOf(o.worker) ?? key.slice(WORKER_HEARTBEAT_PREFIX.length),
    at: dateOf(o.at),
    activeJobs: numberOf(o.active_jobs),
    rssMb: numberOf(o.rss_mb),
    queues: Array.isArray(o.queues) ? o.queues.filter((q): q is string => typeof q === 'string') : null,
  };
}

/** Parses beat's heartbeat value (null when absent: beat is not running or has not ticked within its TTL). */
export function parseBeatHeartbeat(raw: string | null): BeatHeartbeat | null {
  if (raw === null) return null;
  const o = parseObject(raw) ?? {};
  return { at: dateOf(o.at), next: dateOf(o.next), cron: stringOf(o.cron), tz: stringOf(o.tz) };
}

/**
 * The queues of `all` that no worker takes jobs from: their jobs would wait for ever (a worker started with
 * `--queues` that leaves one out, and no other worker that takes it). Empty when there is no worker at all:
 * that is the workers check's own failure.
 */
export function queuesWithoutWorker(all: readonly string[], workers: readonly WorkerHeartbeat[]): string[] {
  if (workers.length === 0 || workers.some((w) => w.queues === null)) return [];
  const taken = new Set(workers.flatMap((w) => w.queues ?? []));
  return all.filter((q) => !taken.has(q));
}

/** A Redis glob pattern matching `text` literally (a hostname may hold `[`, `*`, `?`). */
export function globEscape(text: string): string {
  return text.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** Seconds from `at` to `now`, rounded (null when unknown). */
export function ageSec(at: Date | null, now: Date): number | null {
  return at ? Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000)) : null;
}
