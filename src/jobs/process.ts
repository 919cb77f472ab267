/**
 * What one process needs to run the pipeline's jobs, whatever the queue: one browser, one per-host limiter
 * and one set of LLM tiers (so that limits hold across the process's jobs), and each job's handler built with
 * the narrow dependencies of its stage. `worker.ts` and `embedded.ts` put it on BullMQ or the in-process queue.
 */
import { hostname } from 'node:os';
import { createBrowserPool } from '../collect/index.ts';
import { createHostLimiter } from '../collect/host-limit.ts';
import { benchClock } from '../config/bench-clock.ts';
import type { Config } from '../config/index.ts';
import { effectiveConfig } from '../config/overrides.ts';
import type { Db } from '../db/client.ts';
import type { ChainOptions, ChainTier } from '../extract/chain.ts';
import { tiersFromConfig } from '../extract/setup.ts';
import type { Logger } from '../log.ts';
import { timedHandlers, watchBreakers } from '../ops/metrics.ts';
import type { EditionDeps } from '../pipeline/edition.ts';
import type {
  CollectJob,
  DedupJob,
  DeliverJob,
  EditionJob,
  ExtractJob,
  JobHandle,
  QueueName,
} from '../pipeline/queue.ts';
import type { StageQueue } from '../pipeline/queue.ts';
import type { ComposedFiles } from '../report/build.ts';
import { editionJobHandler } from './edition-job.ts';
import { collectJob, dedupJob, deliverJob, extractJob } from './handlers.ts';
import type { CollectJobDeps, DeliverJobDeps, ExtractJobDeps, OpenedMailer } from './handlers.ts';
import type { Handlers, QueueSettings } from './queue.ts';

/** host:pid of this process, recorded on the runs it works on. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

/** What a process running the pipeline is given by its entry point. */
export interface ProcessDeps {
  db: Db;
  config: Config;
  log: Logger;
  now?: () => Date;
  /** Signs unsubscribe links. */
  secret: string;
  /** The transport for an edition's mail; null when this process cannot send (a dry run). */
  openMailer: (edition: string) => Promise<OpenedMailer | null>;
  /** Per-stage lines for a terminal. */
  progress?: (line: string) => void;
  /** LLM tiers instead of the configured ones (tests, benchmarks). */
  tiers?: ChainTier[];
  /** Overrides of the chain's call options (tests: short backoffs). */
  chain?: Partial<ChainOptions>;
}

/** One process's pipeline parts: its handlers and the orchestrator's dependencies, on a queue chosen by the caller. */
export interface PipelineProcess {
  tiers: ChainTier[];
  /** The orchestrator's dependencies, its stage jobs going to `queue`. */
  editionDeps(queue: StageQueue): EditionDeps;
  /** A handler for every queue, follow-up jobs going to `queue`. */
  handlers(queue: StageQueue): Handlers;
  close(): Promise<void>;
}

/** The process-wide parts (browser, host limiter, LLM tiers) and the handlers built on them. */
export function pipelineProcess(deps: ProcessDeps): PipelineProcess {
  const { db, config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const scheduleClock = benchClock() ?? undefined;
  if (scheduleClock)
    log.warn('FINREP_BENCH_CLOCK is set: scheduled editions are dated by an accelerated clock (a benchmark hook)');
  const browser = createBrowserPool({
    executablePath: config.crawl.chromiumPath,
    maxPages: config.crawl.concurrencyWeb,
    navigationTimeoutMs: config.crawl.timeoutSec * 1000,
    maxRssMb: config.crawl.chromiumMaxRssMb,
    log,
  });
  const tiers = deps.tiers ?? tiersFromConfig(config.llm);
  const unwatch = watchBreakers(tiers);
  const composed = new Map<number, ComposedFiles>();
  const collect: CollectJobDeps['collect'] = {
    db,
    log,
    now,
    timeZone: config.timeZone,
    userAgent: config.crawl.userAgent,
    timeoutMs: config.crawl.timeoutSec * 1000,
    concurrency: { rss: 1, web: 1 },
    perHostConcurrency: config.crawl.perHostConcurrency,
    browser,
    hostLimiter: createHostLimiter(config.crawl.perHostConcurrency),
    sourceBudgetSec: config.crawl.sourceBudgetSec,
    maxFeedItems: config.crawl.feedMaxItems,
  };
  const extract: ExtractJobDeps = {
    extract: { db, log, llm: config.llm, timeZone: config.timeZone, now, chain: deps.chain },
    tiers,
  };
  const deliver: Omit<DeliverJobDeps, 'composed'> = {
    deliver: {
      db,
      log,
      from: { address: config.smtp.from, name: config.smtp.fromName },
      ratePerSec: config.mail.ratePerSec,
      maxAttempts: config.mail.maxAttempts,
      secret: deps.secret,
      publicBaseUrl: config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`,
      webViewLinkDays: config.mail.webViewLinkDays,
      redisUrl: config.redisUrl,
    },
    openMailer: deps.openMailer,
    dataDir: config.dataDir,
  };
  const editionDeps = (queue: StageQueue): EditionDeps => ({
    db,
    config,
    log,
    now,
    scheduleClock,
    queue,
    worker: WORKER_ID,
    progress: deps.progress,
    composed,
  });
  return {
    tiers,
    editionDeps,
    handlers: (queue) =>
      timedHandlers({
        'collect-rss': (job) => collectJob({ collect, queue }, job as JobHandle<CollectJob>),
        'collect-web': (job) => collectJob({ collect, queue }, job as JobHandle<CollectJob>),
        dedup: (job) => dedupJob({ db, log, queue }, job as JobHandle<DedupJob>),
        extract: async (job) => {
          // The admin's overrides as they stand now: budgets, prices and the provider order (of this process's tiers).
          const { llm } = await effectiveConfig(db, config);
          const current = { extract: { ...extract.extract, llm }, tiers: inOrder(extract.tiers, llm.order) };
          return extractJob(current, job as JobHandle<ExtractJob>);
        },
        deliver: async (job) => {
          const { ratePerSec } = (await effectiveConfig(db, config)).mail;
          const current = { ...deliver, deliver: { ...deliver.deliver, ratePerSec }, composed };
          return deliverJob(current, job as JobHandle<DeliverJob>);
        },
        ops: async () => {
          // The operational alerts' check (src/ops/ops-alerts.ts): a few queries, a push when something changed.
          const { checkOpsAlerts } = await import('../ops/ops-alerts.ts');
          return checkOpsAlerts({
            db,
            config,
            log,
            now,
            worker: WORKER_ID,
            secret: deps.secret,
            openMailer: () => deps.openMailer('ops-alerts'),
          });
        },
        edition: async (job) => {
          // The intraday alert run rides the edition queue (trigger `alerts`): collect → dedup → extract → rules.
          if ((job.data as Partial<EditionJob> | undefined)?.trigger === 'alerts') {
            const { alertJobHandler } = await import('../alerts/job.ts');
            const alertDeps = { ...editionDeps(queue), secret: deps.secret, openMailer: deps.openMailer };
            return alertJobHandler(alertDeps, job as JobHandle<EditionJob>);
          }
          return editionJobHandler(editionDeps(queue), job as JobHandle<EditionJob>);
        },
      }),
    close: () => {
      unwatch();
      return browser.close();
    },
  };
}

/** The tiers in the chain order `order` names (a provider it leaves out is not called); tiers of tests kept as given. */
export function inOrder(tiers: ChainTier[], order: readonly string[]): ChainTier[] {
  const named = tiers.filter((t) => order.includes(t.provider.name));
  if (named.length === 0) return tiers;
  return named.sort((a, b) => order.indexOf(a.provider.name) - order.indexOf(b.provider.name));
}

/** Queue concurrency from the configuration: per process in process, global (across workers) under BullMQ. */
export function queueSettings(
  config: Config,
  tiers: readonly ChainTier[],
  kind: StageQueue['kind'],
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
    // One check at a time across workers (its claims make a second harmless, but it would only repeat the first).
    ops: { concurrency: 1, attempts: 2, global: true },
  };
}
