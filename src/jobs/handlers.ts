/**
 * The pipeline's stage jobs: the stage functions, unchanged, cut into pieces a queue can spread over workers.
 * collect (one source) → dedup (everything new, one at a time) → extract (one story) run as articles
 * arrive; the `edition` job (edition-job.ts → pipeline/edition.ts) orchestrates, composes and hands the mail
 * to a `deliver` job. Every job can be run twice (a worker died half-way) without duplicating anything:
 * articles, stories, extractions and deliveries are keyed in the database. Each handler unpacks its job and
 * calls its stage with the narrow dependencies that stage takes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EMPTY_CHANNEL_SUMMARY } from '../channels/run.ts';
import type { ChannelRunDeps, ChannelSummary } from '../channels/run.ts';
import { runCollect } from '../collect/run.ts';
import type { CollectStageDeps } from '../collect/run.ts';
import type { Db } from '../db/client.ts';
import { editionsQ, runsQ, storiesQ } from '../db/queries/index.ts';
import { runDedup } from '../dedup/run.ts';
import { DeliverError } from '../deliver/mailer.ts';
import type { Mailer } from '../deliver/mailer.ts';
import { runDeliver } from '../deliver/run.ts';
import type { DeliverDeps } from '../deliver/run.ts';
import type { ChainTier } from '../extract/chain.ts';
import { runExtract } from '../extract/run.ts';
import type { ExtractDeps } from '../extract/run.ts';
import type { Logger } from '../log.ts';
import { jobIds } from '../pipeline/queue.ts';
import type {
  CollectJob,
  DedupJob,
  DedupJobResult,
  DeliverJob,
  DeliverJobResult,
  ExtractJob,
  ExtractJobResult,
  JobHandle,
  StageQueue,
} from '../pipeline/queue.ts';
import type { ComposedFiles } from '../report/build.ts';
import type { ReportModel } from '../domain.ts';

/** An edition's mail transport, opened for a deliver job and closed after it. */
export interface OpenedMailer {
  mailer: Mailer;
  close(): Promise<void>;
}

/** A collect job: the collect stage for one source, and the queue its dedup job goes to. */
export interface CollectJobDeps {
  collect: CollectStageDeps;
  queue: StageQueue;
}

/** One source: fetched, its new articles stored, then a dedup job for them. */
export async function collectJob(
  deps: CollectJobDeps,
  job: JobHandle<CollectJob>,
): Promise<{ fetched: number; new: number; resumed: boolean }> {
  const { runId, sourceId, editionId, from, to } = job.data;
  let outcome = { fetched: 0, new: 0, resumed: true };
  // A retried job whose source was already fetched in this run (the worker died after it) fetches nothing.
  if (!(await runsQ.hasRunFetch(deps.collect.db, runId, sourceId))) {
    const summary = await runCollect(deps.collect, { runId, ids: [sourceId] });
    outcome = { fetched: summary.fetched, new: summary.new_articles, resumed: false };
  }
  await deps.queue.add<DedupJob>('dedup', [
    { id: jobIds.dedup(runId, sourceId), data: { runId, editionId, from, to } },
  ]);
  return outcome;
}

/** Every article not yet in a story (one dedup job at a time, globally); new stories of the window go to extraction. */
export async function dedupJob(
  deps: { db: Db; log: Logger; queue: StageQueue },
  job: JobHandle<DedupJob>,
): Promise<DedupJobResult> {
  const { runId, editionId } = job.data;
  const from = Date.parse(job.data.from);
  const to = Date.parse(job.data.to);
  const d = await runDedup({ db: deps.db, log: deps.log });
  const fresh = d.created.filter((c) => c.effectiveAt.getTime() >= from && c.effectiveAt.getTime() < to);
  await deps.queue.add<ExtractJob>(
    'extract',
    fresh.map((c) => ({ id: jobIds.extract(runId, c.articleId), data: { runId, editionId, articleId: c.articleId } })),
  );
  return { unique: d.unique, nearDuplicates: d.nearDuplicates, queued: fresh.map((c) => c.articleId) };
}

/** An extract job: the extract stage's dependencies and the process's LLM tiers (their limits shared). */
export interface ExtractJobDeps {
  extract: Omit<ExtractDeps, 'editionId' | 'tiers'>;
  tiers: ChainTier[];
}

/** One story through the chain (LLMs → local); stories seen before cost nothing. */
export async function extractJob(deps: ExtractJobDeps, job: JobHandle<ExtractJob>): Promise<ExtractJobResult> {
  const stories = await storiesQ.storiesOfRepresentatives(deps.extract.db, [job.data.articleId]);
  // No longer its story's representative: the orchestrator's final sweep extracts the one that is.
  if (stories.length === 0) return { skipped: true };
  const r = await runExtract(
    { ...deps.extract, editionId: job.data.editionId, tiers: abortable(deps.tiers, job.signal) },
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
export function abortable(tiers: ChainTier[], signal: AbortSignal): ChainTier[] {
  return tiers.map((t) => ({
    ...t,
    provider: {
      name: t.provider.name,
      model: t.provider.model,
      complete: async (req) => {
        signal.throwIfAborted();
        // A signal of its own per call, tied to the job's for the call's length only. Not AbortSignal.any:
        // a signal it makes stays alive while it has an 'abort' listener and its source has not aborted, and
        // the SDK leaves one on every call's signal — one signal, listener and controller kept per LLM call
        // for the life of the worker (found by bench:soak's heap snapshots).
        const call = new AbortController();
        const onAbort = () => call.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          return await t.provider.complete({ ...req, signal: call.signal });
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      },
    },
  }));
}

/** A deliver job: the deliver stage without its mailer, the mailer's opener, and where reports are drawn. */
export interface DeliverJobDeps {
  deliver: Omit<DeliverDeps, 'mailer'>;
  /** The chat channels' settings beyond the deliver stage's (db, log, secret, Redis, attempts). */
  channels?: Partial<Omit<ChannelRunDeps, 'db' | 'log' | 'secret'>>;
  openMailer: (edition: string) => Promise<OpenedMailer | null>;
  dataDir: string;
  /** Files composed by this process, by edition id: handed over once. */
  composed: Map<number, ComposedFiles>;
}

/**
 * The edition's mail: every recipient's copy rendered from the composed model stored with the edition (any
 * worker can send it; the charts and workbook are drawn again where they are not at hand). Beside it, the
 * edition's chat channels (src/channels/run.ts): a channel failure never stops the mail, nor the reverse.
 */
export async function deliverJob(deps: DeliverJobDeps, job: JobHandle<DeliverJob>): Promise<DeliverJobResult> {
  const { editionId, date, groups } = job.data;
  // The templates, charts and workbook (React, ECharts, exceljs) load only in a process that sends or composes.
  const [{ renderFromModel }, { writeReportFiles }, { loadReportModel }] = await Promise.all([
    import('../deliver/render.ts'),
    import('../report/build.ts'),
    import('../report/stored-model.ts'),
  ]);
  let files = deps.composed.get(editionId);
  // Handed over once: a long-running worker must not keep every edition's report in memory (a retry or a
  // later send draws it again from the stored model).
  deps.composed.delete(editionId);
  if (!files) {
    const edition = await editionsQ.getEdition(deps.deliver.db, editionId);
    if (!edition?.model) throw new DeliverError(`edition ${date} has no composed report to send`);
    files = await writeReportFiles(loadReportModel(edition.model), path.join(deps.dataDir, 'reports', date), {
      charts: { log: deps.deliver.log },
    });
  }
  // The channels start first and run beside the mail; they never throw (their errors are in their summary).
  const channels = sendChannels(deps, job.data, files.model);
  const opened = await deps.openMailer(date).catch(async (err: unknown) => {
    await channels;
    throw err;
  });
  if (!opened) {
    await channels;
    throw new DeliverError('no mail transport in this process');
  }
  try {
    const message = {
      editionId,
      edition: date,
      render: renderFromModel(files.model),
      subject: files.subject,
      xlsx: await readFile(files.xlsx),
      xlsxName: files.xlsxName,
      inlineImages: files.inlineImages,
    };
    const summary = await runDeliver({ ...deps.deliver, mailer: opened.mailer }, message, { groups });
    return { ...summary, transport: opened.mailer.kind, channels: await channels };
  } finally {
    await opened.close();
    await channels; // the job ends when both do, whichever failed
  }
}

/** The edition to its chat channels; a failure of their own ends in the summary's `error`, never thrown. */
async function sendChannels(deps: DeliverJobDeps, data: DeliverJob, model: ReportModel): Promise<ChannelSummary> {
  const { db, log, secret, redisUrl, maxAttempts } = deps.deliver;
  try {
    const [{ runChannels }, { editionDigest }] = await Promise.all([
      import('../channels/run.ts'),
      import('../channels/digest.ts'),
    ]);
    return await runChannels(
      { db, log, secret, redisUrl: redisUrl ?? null, maxAttempts, ...deps.channels },
      {
        editionId: data.editionId,
        edition: data.date,
        digest: () => editionDigest(db, model),
        groups: data.groups,
        // runId 0: a resend from the console or the CLI, not the edition's own deliver stage.
        queuedOnly: data.runId === 0,
      },
    );
  } catch (err) {
    log.error({ err }, 'channels could not be sent');
    return { ...EMPTY_CHANNEL_SUMMARY, error: (err as Error).message };
  }
}
