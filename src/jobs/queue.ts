/**
 * The job queue the pipeline runs on: BullMQ on Redis (`REDIS_URL` set; N workers on any machine) or the
 * in-process runner (embedded). Both run the same handlers with the same job ids, so an edition is the same
 * whichever runs it. A job id names the work (`r12-collect-7`: run 12 collects source 7): adding a job
 * whose id is already known does nothing, so re-running an orchestrator never duplicates work.
 */

/** The queues, each with its own concurrency (global across workers under BullMQ). */
export const QUEUES = ['edition', 'collect-rss', 'collect-web', 'dedup', 'extract', 'deliver'] as const;
export type QueueName = (typeof QUEUES)[number];

export type JobStatus = 'pending' | 'active' | 'completed' | 'failed' | 'missing';

export interface JobState {
  id: string;
  status: JobStatus;
  /** The handler's return value (completed jobs). */
  result?: unknown;
  /** Why it failed (failed jobs, and the last failed attempt of a pending one). */
  error?: string | null;
  attempts: number;
}

export interface NewJob<T = unknown> {
  id: string;
  data: T;
}

/** What a handler sees of its job. */
export interface JobHandle<T = unknown> {
  id: string;
  queue: QueueName;
  /** 1 on the first attempt. */
  attempt: number;
  data: T;
  /** Stores new data on the job: a retried job (another worker, after a crash) starts from it. */
  updateData(data: T): Promise<void>;
  /** When the job was due (a scheduler's fire time), ms since the epoch. */
  scheduledAt?: number;
  /** Aborted when the worker is shutting down and the grace period is over. */
  signal: AbortSignal;
}

export type JobHandler<T = unknown> = (job: JobHandle<T>) => Promise<unknown>;

export interface QueueSettings {
  /** Jobs of this queue in progress at once: per process for the in-process runner, global under BullMQ. */
  concurrency: number;
  /** Attempts before a job is failed for good. */
  attempts: number;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** Adds jobs; ids already known (waiting, running, done or failed) are left as they are. */
  add<T>(queue: QueueName, jobs: NewJob<T>[]): Promise<void>;
  /** The state of each job, in the order of `ids`. */
  states(queue: QueueName, ids: readonly string[]): Promise<JobState[]>;
  /** Removes the jobs of `ids` that have not started; returns how many were removed. */
  cancel(queue: QueueName, ids: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/** A job that ended: completed or failed for good. */
export const isFinished = (s: JobState): boolean => s.status === 'completed' || s.status === 'failed';

/** Per-queue defaults; the worker and the runner override concurrency from configuration. */
export const DEFAULT_ATTEMPTS: Record<QueueName, number> = {
  edition: 5,
  'collect-rss': 3,
  'collect-web': 3,
  dedup: 5,
  extract: 3,
  deliver: 5,
};
