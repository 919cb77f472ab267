/**
 * The pipeline's jobs: the stage functions, unchanged, cut into pieces a queue can spread over workers.
 * collect (one source) → dedup (everything new, one at a time) → extract (one story) run as articles
 * arrive; the `edition` job (edition.ts) orchestrates, composes and hands the mail to a `deliver` job.
 * Every job can be run twice (a worker died half-way) without duplicating anything: articles, stories,
 * extractions and deliveries are keyed in the database.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCollect } from '../collect/run.ts';
import { editionsQ, runsQ, storiesQ } from '../db/queries/index.ts';
import { runDedup } from '../dedup/run.ts';
import { runDeliver } from '../deliver/run.ts';
import type { DeliverSummary } from '../deliver/run.ts';
import { DeliverError } from '../deliver/mailer.ts';
import { runExtract } from '../extract/run.ts';
import type { ExtractOutcomes, ExtractSummary } from '../extract/run.ts';
import type { ChainTier } from '../extract/chain.ts';
import type { JobHandle, JobHandler, QueueName } from '../jobs/queue.ts';
import type { PipelineContext } from './context.ts';

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

export interface ExtractJobResult {
  skipped?: boolean;
  summary?: ExtractSummary;
  outcomes?: ExtractOutcomes;
}

/** Job ids: stable per run, so an orchestrator resumed elsewhere adds nothing twice. */
export const jobIds = {
  collect: (runId: number, sourceId: number) => `r${runId}-c${sourceId}`,
  dedup: (runId: number, sourceId: number | 'final') => `r${runId}-d${sourceId}`,
  extract: (runId: number, articleId: number) => `r${runId}-x${articleId}`,
  deliver: (runId: number) => `r${runId}-deliver`,
  edition: (date: string, runId: number) => `e${date}-r${runId}`,
};

export const collectQueue = (kind: string): QueueName => (kind === 'rss' ? 'collect-rss' : 'collect-web');

/** One source: fetched, its new articles stored, then a dedup job for them. */
export async function collectJob(
  ctx: PipelineContext,
  job: JobHandle<CollectJob>,
): Promise<{ fetched: number; new: number; resumed: boolean }> {
  const { runId, sourceId } = job.data;
  let outcome = { fetched: 0, new: 0, resumed: true };
  // A retried job whose source was already fetched in this run (the worker died after it) fetches nothing.
  if (!(await runsQ.hasRunFetch(ctx.db, runId, sourceId))) {
    const { config } = ctx;
    const summary = await runCollect(
      {
        db: ctx.db,
        log: ctx.log,
        now: ctx.now,
        timeZone: config.timeZone,
        userAgent: config.crawl.userAgent,
        timeoutMs: config.crawl.timeoutSec * 1000,
        concurrency: { rss: 1, web: 1 },
        perHostConcurrency: config.crawl.perHostConcurrency,
        browser: ctx.browser,
        hostLimiter: ctx.hostLimiter,
        sourceBudgetSec: config.crawl.sourceBudgetSec,
        maxFeedItems: config.crawl.feedMaxItems,
      },
      { runId, ids: [sourceId] },
    );
    outcome = { fetched: summary.fetched, new: summary.new_articles, resumed: false };
  }
  await ctx.queue.add<DedupJob>('dedup', [
    {
      id: jobIds.dedup(runId, sourceId),
      data: { runId, editionId: job.data.editionId, from: job.data.from, to: job.data.to },
    },
  ]);
  return outcome;
}

/** Every article not yet in a story (one dedup job at a time, globally); new stories of the window go to extraction. */
export async function dedupJob(
  ctx: PipelineContext,
  job: JobHandle<DedupJob>,
): Promise<{ unique: number; nearDuplicates: number; queued: number[] }> {
  const { runId, editionId } = job.data;
  const from = Date.parse(job.data.from);
  const to = Date.parse(job.data.to);
  const d = await runDedup({ db: ctx.db, log: ctx.log });
  const fresh = d.created.filter((c) => c.effectiveAt.getTime() >= from && c.effectiveAt.getTime() < to);
  await ctx.queue.add<ExtractJob>(
    'extract',
    fresh.map((c) => ({ id: jobIds.extract(runId, c.articleId), data: { runId, editionId, articleId: c.articleId } })),
  );
  return { unique: d.unique, nearDuplicates: d.nearDuplicates, queued: fresh.map((c) => c.articleId) };
}

/** One story through the chain (LLMs → local); stories seen before cost nothing. */
export async function extractJob(ctx: PipelineContext, job: JobHandle<ExtractJob>): Promise<ExtractJobResult> {
  const stories = await storiesQ.storiesOfRepresentatives(ctx.db, [job.data.articleId]);
  // No longer its story's representative: the orchestrator's final sweep extracts the one that is.
  if (stories.length === 0) return { skipped: true };
  const r = await runExtract(
    {
      db: ctx.db,
      log: ctx.log,
      llm: ctx.config.llm,
      timeZone: ctx.config.timeZone,
      now: ctx.now,
      editionId: job.data.editionId,
      tiers: abortable(ctx.tiers, job.signal),
      chain: ctx.chain,
    },
    stories,
  );
  // Cut short (the worker is stopping, or the in-process edition went out at its deadline): the local
  // fallback it ended with is not this job's result; the job is handed back (BullMQ) or ends with its queue.
  job.signal.throwIfAborted();
  return { summary: r.summary, outcomes: r.outcomes };
}

/**
 * The tiers with the job's signal on every call: when it aborts, calls in flight end at once and no new
 * one starts (an LLM answering in minutes must not hold a stopping worker or a finished edition).
 */
function abortable(tiers: ChainTier[], signal: AbortSignal): ChainTier[] {
  return tiers.map((t) => ({
    ...t,
    provider: {
      name: t.provider.name,
      model: t.provider.model,
      complete: (req) => {
        signal.throwIfAborted();
        // A signal of its own per call: the job's is shared by every call of the process (listener limits).
        return t.provider.complete({ ...req, signal: AbortSignal.any([signal]) });
      },
    },
  }));
}

/**
 * The edition's mail: every recipient's copy rendered from the composed model stored with the edition (any
 * worker can send it; the charts and workbook are drawn again where they are not at hand).
 */
export async function deliverJob(
  ctx: PipelineContext,
  job: JobHandle<DeliverJob>,
): Promise<DeliverSummary & { transport: 'smtp' | 'outbox' }> {
  const { editionId, date, groups } = job.data;
  // The templates, charts and workbook (React, ECharts, exceljs) load only in a process that sends or composes.
  const [{ renderFromModel }, { writeReportFiles }, { loadReportModel }] = await Promise.all([
    import('../deliver/render.ts'),
    import('../report/build.ts'),
    import('../report/stored-model.ts'),
  ]);
  let files = ctx.composed.get(editionId);
  // Handed over once: a long-running worker must not keep every edition's report in memory (a retry or a
  // later send draws it again from the stored model).
  ctx.composed.delete(editionId);
  if (!files) {
    const edition = await editionsQ.getEdition(ctx.db, editionId);
    if (!edition?.model) throw new DeliverError(`edition ${date} has no composed report to send`);
    files = await writeReportFiles(loadReportModel(edition.model), path.join(ctx.config.dataDir, 'reports', date), {
      charts: { log: ctx.log },
    });
  }
  const opened = await ctx.openMailer(date);
  if (!opened) throw new DeliverError('no mail transport in this process');
  const { config } = ctx;
  try {
    const summary = await runDeliver(
      {
        db: ctx.db,
        log: ctx.log,
        mailer: opened.mailer,
        from: { address: config.smtp.from, name: config.smtp.fromName },
        ratePerSec: config.mail.ratePerSec,
        maxAttempts: config.mail.maxAttempts,
        secret: ctx.secret,
        publicBaseUrl: config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`,
        redisUrl: config.redisUrl,
      },
      {
        editionId,
        edition: date,
        render: renderFromModel(files.model),
        subject: files.subject,
        xlsx: await readFile(files.xlsx),
        xlsxName: files.xlsxName,
        inlineImages: files.inlineImages,
      },
      { groups },
    );
    return { ...summary, transport: opened.mailer.kind };
  } finally {
    await opened.close();
  }
}

/** The stage jobs' handlers for a context (the `edition` handler is added by edition.ts). */
export function stageHandlers(ctx: PipelineContext): Partial<Record<QueueName, JobHandler<never>>> {
  return {
    'collect-rss': (job) => collectJob(ctx, job as JobHandle<CollectJob>),
    'collect-web': (job) => collectJob(ctx, job as JobHandle<CollectJob>),
    dedup: (job) => dedupJob(ctx, job as JobHandle<DedupJob>),
    extract: (job) => extractJob(ctx, job as JobHandle<ExtractJob>),
    deliver: (job) => deliverJob(ctx, job as JobHandle<DeliverJob>),
  };
}
