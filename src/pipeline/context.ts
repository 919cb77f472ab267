import { hostname } from 'node:os';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { createBrowserPool } from '../collect/index.ts';
import type { BrowserPool } from '../collect/browser.ts';
import { createHostLimiter } from '../collect/host-limit.ts';
import type { HostLimiter } from '../collect/host-limit.ts';
import type { ChainOptions, ChainTier } from '../extract/chain.ts';
import { tiersFromConfig } from '../extract/setup.ts';
import type { Mailer } from '../deliver/mailer.ts';
import type { JobQueue, QueueName, QueueSettings } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import type { ComposedFiles } from '../report/build.ts';

/** An edition's mail transport, opened for a deliver job and closed after it. */
export interface OpenedMailer {
  mailer: Mailer;
  close(): Promise<void>;
}

/**
 * What the pipeline's jobs share within one process: the database, configuration, the job queue, one
 * browser, one per-host limiter and one set of LLM tiers (so that limits hold across the process's jobs).
 */
export interface PipelineContext {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
  /** Signs unsubscribe links. */
  secret: string;
  queue: JobQueue;
  browser: BrowserPool;
  hostLimiter: HostLimiter;
  tiers: ChainTier[];
  /** Overrides of the chain's call options (tests: short backoffs). */
  chain?: Partial<ChainOptions>;
  /** The transport for an edition's mail; null when this process cannot send (a dry run). */
  openMailer: (edition: string) => Promise<OpenedMailer | null>;
  /** Per-stage lines for a terminal. */
  progress?: (line: string) => void;
  /** host:pid of this process, recorded on the runs it works on. */
  worker: string;
  /** Files composed by this process, by edition id: its deliver job needs not draw them again. */
  composed: Map<number, ComposedFiles>;
  /** How often an orchestrator looks at its jobs. @defaultValue 250 ms in process, 1000 ms on BullMQ */
  pollMs?: number;
}

export const WORKER_ID = `${hostname()}:${process.pid}`;

/** Queue concurrency from the configuration: per process in process, global (across workers) under BullMQ. */
export function queueSettings(
  config: Config,
  tiers: readonly ChainTier[],
  kind: JobQueue['kind'],
): Record<QueueName, QueueSettings & { global: boolean }> {
  // LLM slots: the first provider's limit is what the account allows; in process twice the slots keep
  // them busy while a finished story writes its rows (the tiers' own limiter still caps the calls).
  const primary = tiers[0]?.limiter.concurrency ?? 0;
  const extract =
    primary === 0 ? 8 : kind === 'bullmq' ? primary : 2 * tiers.reduce((n, t) => n + t.limiter.concurrency, 0);
  return {
    edition: { concurrency: 2, attempts: 5, global: false },
    'collect-rss': { concurrency: config.crawl.concurrencyRss, attempts: 3, global: true },
    'collect-web': { concurrency: config.crawl.concurrencyWeb, attempts: 3, global: true },
    dedup: { concurrency: 1, attempts: 5, global: true },
    extract: { concurrency: extract, attempts: 3, global: true },
    deliver: { concurrency: 1, attempts: 5, global: false },
  };
}

/** The process-wide parts of a context: browser, host limiter and LLM tiers from the configuration. */
export function processResources(
  config: Config,
  log: Logger,
): { browser: BrowserPool; hostLimiter: HostLimiter; tiers: ChainTier[] } {
  return {
    browser: createBrowserPool({
      executablePath: config.crawl.chromiumPath,
      maxPages: config.crawl.concurrencyWeb,
      navigationTimeoutMs: config.crawl.timeoutSec * 1000,
      maxRssMb: config.crawl.chromiumMaxRssMb,
      log,
    }),
    hostLimiter: createHostLimiter(config.crawl.perHostConcurrency),
    tiers: tiersFromConfig(config.llm),
  };
}
