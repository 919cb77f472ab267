/**
 * The queue adapters' side of the pipeline's queue (`pipeline/queue.ts` declares what the edition needs):
 * BullMQ on Redis (`REDIS_URL` set; N workers on any machine) or the in-process runner (embedded). Both run
 * the same handlers with the same job ids, so an edition is the same whichever runs it.
 */
import type { JobHandle, QueueName, StageQueue } from '../pipeline/queue.ts';

export { QUEUES, isFinished } from '../pipeline/queue.ts';
export type { JobHandle, JobState, JobStatus, NewJob, QueueName } from '../pipeline/queue.ts';

export type JobHandler<T = unknown> = (job: JobHandle<T>) => Promise<unknown>;

/** A handler for each queue a process serves. */
export type Handlers = Partial<Record<QueueName, JobHandler<never>>>;

export interface QueueSettings {
  /** Jobs of this queue in progress at once: per process for the in-process runner, global under BullMQ. */
  concurrency: number;
  /** Attempts before a job is failed for good (a `PermanentError` fails it at once). */
  attempts: number;
}

/** The pipeline's queue, and the means to close it. */
export interface JobQueue extends StageQueue {
  close(): Promise<void>;
}

/** Per-queue defaults; the worker and the runner override concurrency from configuration. */
export const DEFAULT_ATTEMPTS: Record<QueueName, number> = {
  edition: 5,
  'collect-rss': 3,
  'collect-web': 3,
  dedup: 5,
  extract: 3,
  deliver: 5,
  ops: 2,
};
