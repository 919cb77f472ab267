import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { QueueCounts, StatusReader } from '../ops/status.ts';
import type { StageQueue } from '../pipeline/queue.ts';

/** What the web server is built from: nothing global, everything passed in. */
export interface WebDeps extends WebStatus {
  config: Config;
  db: Db;
  log: Logger;
  /** Signs sessions, mail links and seals TOTP secrets: JWT_SECRET_KEY or the data folder's secret.key. */
  secret: string;
  /**
   * Starts an edition in this process (`finrep start` wires its in-process queue: `edition-starter.ts`).
   * Absent, `POST /api/v1/runs` queues it on Redis for the workers, or answers 503 without REDIS_URL.
   */
  startEdition?: EditionStarter;
  /**
   * The embedded process's own job queue (`finrep start`): an operator's resend goes on it as a `deliver` job.
   * Absent: on Redis for the workers (REDIS_URL), or, with neither, the rows wait for `finrep deliver`.
   */
  jobQueue?: Pick<StageQueue, 'add'>;
}

/** The console's status (src/ops/status.ts): read by /admin/status and, in `finrep web` / `finrep start`, sampled. */
export interface WebStatus {
  /**
   * The reader the process shares with its sampler; absent (a test server), the status page opens its own.
   */
  status?: StatusReader;
  /** The in-process queue's counts (`finrep start`), for the status page's queues. */
  queueCounts?: QueueCounts;
}

/** What starting an edition needs, and its run — or the run of that edition already running. */
export type EditionStarter = (job: {
  date: string;
  dryRun: boolean;
  groups: string[] | null;
  trigger: string;
}) => Promise<{ runId: number; jobId: string } | { running: number }>;

/** One route file: registers its route(s) on the app. Listed in routes/index.ts. */
export type WebRoute = (app: FastifyInstance, deps: WebDeps) => void | Promise<void>;
