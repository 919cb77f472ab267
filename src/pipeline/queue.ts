/**
 * The queue the edition needs, declared here and implemented in `jobs/` (BullMQ on Redis, or the in-process
 * runner): add jobs under ids that name the work, read their states, cancel the ones not started. Also what
 * the edition puts on it — the jobs' ids and payloads, the contract between the orchestrator and the handlers.
 */
import type { ChannelSummary } from '../channels/run.ts';
import type { DeliverSummary } from '../deliver/run.ts';
import type { ExtractOutcomes, ExtractSummary } from '../extract/run.ts';

/**
 * The queues, each with its own concurrency (global across workers under BullMQ). `ops` carries the
 * operational alerts' check (a few queries): apart, so that it never waits behind an edition or a mailing.
 */
export const QUEUES = ['edition', 'collect-rss', 'collect-web', 'dedup', 'extract', 'deliver', 'ops'] as const;
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
  /** Attempts before the job is failed for good: `attempt` of `attempts`. */
  attempts: number;
  /**
   * What the queue does when this attempt throws `err`: the milliseconds until it tries the job again, or
   * null when this attempt was the last (attempts spent, or an error no retry mends: `PermanentError`, …).
   * Lets a handler record a truthful state — `retrying`, not `failed`, while another attempt is coming.
   */
  retryIn(err: unknown): number | null;
  data: T;
  /** Stores new data on the job: a retried job (another worker, after a crash) starts from it. */
  updateData(data: T): Promise<void>;
  /** When the job was due (a scheduler's fire time), ms since the epoch. */
  scheduledAt?: number;
  /** Aborted when the worker is shutting down and the grace period is over, or the job went elsewhere. */
  signal: AbortSignal;
}

/**
 * The queue an edition hands its stage jobs to. A job id names the work (`r12-c7`: run 12 collects source
 * 7): adding a job whose id is already known does nothing, so re-running an orchestrator never duplicates
 * work. A moment without the queue's server rejects with a `ServiceUnavailableError` (errors.ts).
 */
export interface StageQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** Adds jobs; ids already known (waiting, running, done or failed) are left as they are. */
  add<T>(queue: QueueName, jobs: NewJob<T>[]): Promise<void>;
  /** The state of each job, in the order of `ids`. */
  states(queue: QueueName, ids: readonly string[]): Promise<JobState[]>;
  /** Removes the jobs of `ids` that have not started; returns how many were removed. */
  cancel(queue: QueueName, ids: readonly string[]): Promise<number>;
}

/** A job that ended: completed or failed for good. */
export const isFinished = (s: JobState): boolean => s.status === 'completed' || s.status === 'failed';

/** What an `edition` job carries; the orchestrator adds what it decided, so a resumed run decides the same. */
export interface EditionJob {
  date: string;
  dryRun?: boolean;
  trigger?: string;
  sourceKeys?: string[] | null;
  groups?: string[] | null;
  /** ISO time, null for none; absent: from the configuration. */
  deadline?: string | null;
  runId?: number;
  /** The sources this run collects (fixed at its start). */
  sources?: { id: number; kind: string }[];
  /** The process that started orchestrating it: set on a job being resumed after its worker died. */
  startedBy?: string;
}

export interface CollectJob {
  runId: number;
  editionId: number;
  sourceId: number;
  from: string;
  to: string;
}
export interface DedupJob {
  runId: number;
  editionId: number;
  from: string;
  to: string;
}
export interface ExtractJob {
  runId: number;
  editionId: number;
  articleId: number;
}
export interface DeliverJob {
  runId: number;
  editionId: number;
  date: string;
  groups: string[] | null;
}

export interface DedupJobResult {
  unique: number;
  nearDuplicates: number;
  /** Articles whose extract job this dedup job queued. */
  queued: number[];
}
export interface ExtractJobResult {
  skipped?: boolean;
  summary?: ExtractSummary;
  outcomes?: ExtractOutcomes;
}
/** The mail's summary and transport, and the edition's chat channels (absent from results of older workers). */
export type DeliverJobResult = DeliverSummary & { transport: 'smtp' | 'outbox'; channels?: ChannelSummary };

/** Job ids: stable per run, so an orchestrator resumed elsewhere adds nothing twice. */
export const jobIds = {
  collect: (runId: number, sourceId: number) => `r${runId}-c${sourceId}`,
  dedup: (runId: number, sourceId: number | 'final') => `r${runId}-d${sourceId}`,
  extract: (runId: number, articleId: number) => `r${runId}-x${articleId}`,
  deliver: (runId: number) => `r${runId}-deliver`,
  edition: (date: string, runId: number) => `e${date}-r${runId}`,
};

/** The source of a collect job id (`r<run>-c<source>`). */
export const sourceOfJob = (jobId: string): number => Number(/-c(\d+)$/.exec(jobId)?.[1]);
/** The article of an extract job id (`r<run>-x<article>`). */
export const articleOfJob = (jobId: string): number => Number(/-x(\d+)$/.exec(jobId)?.[1]);

export const collectQueue = (kind: string): QueueName => (kind === 'rss' ? 'collect-rss' : 'collect-web');
