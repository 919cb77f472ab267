/**
 * One edition, top to bottom: collect → dedup → extract (overlapping, as jobs) → score → compose →
 * deliver (a job). The same code runs embedded (an in-process queue inside `finrep run`) and in production
 * (the `edition` job of a BullMQ worker, its stage jobs spread over all workers). The deadline guard
 * (`EDITION_DEADLINE`) stops waiting for collection and LLM extraction: what is left goes to the local
 * extractor and the report goes out on time, saying what degraded.
 */
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { releaseDatabaseMemory } from '../db/client.ts';
import type { Db } from '../db/client.ts';
import { articlesQ, deliveriesQ, editionsQ, extractionsQ, runsQ, sourcesQ, storiesQ } from '../db/queries/index.ts';
import type { Extraction } from '../domain.ts';
import type { DeliverSummary } from '../deliver/run.ts';
import type { Mailer } from '../deliver/mailer.ts';
import { degradedReasons, runExtract } from '../extract/run.ts';
import type { ExtractOutcomes, ExtractSummary } from '../extract/run.ts';
import type { ChainOptions, ChainTier } from '../extract/chain.ts';
import { InProcessQueue } from '../jobs/in-process.ts';
import { isFinished } from '../jobs/queue.ts';
import type { JobHandle, JobQueue, JobState, QueueName } from '../jobs/queue.ts';
import { collectGarbage } from '../lib/gc.ts';
import { zonedToUtc } from '../lib/time.ts';
import type { Logger } from '../log.ts';
import { rankStories } from '../score/index.ts';
import { WORKER_ID, processResources, queueSettings } from './context.ts';
import type { PipelineContext } from './context.ts';
import { collectQueue, jobIds, stageHandlers } from './jobs.ts';
import type { CollectJob, DedupJob, DeliverJob, ExtractJob, ExtractJobResult } from './jobs.ts';
import { loadRankingSettings } from './settings.ts';
import { Stages } from './stages.ts';
import type { RunSummary } from './summary.ts';
import { editionWindow } from './window.ts';

export interface EditionDeps {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
  /** The mail transport; omitted for dry runs. */
  mailer: Mailer | null;
  /** Signs unsubscribe links. */
  secret: string;
  /** Per-stage progress lines for a terminal (stderr). */
  progress?: (line: string) => void;
  /** LLM tiers instead of the configured ones (tests, benchmarks). */
  tiers?: ChainTier[];
  chain?: Partial<ChainOptions>;
}

export interface EditionOptions {
  date: string;
  dryRun?: boolean;
  trigger?: string;
  /** Collect only these source keys (the demo world's). */
  sourceKeys?: string[];
  /** Send only to recipients in these groups (all active recipients when absent). */
  groups?: string[];
  /**
   * When the deadline guard fires. Absent: `EDITION_DEADLINE` on the edition's date, if the run starts
   * before it (a manual run later in the day has none); null: no deadline.
   */
  deadline?: Date | null;
}

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

/** One whole edition in this process (the embedded shape): the stage jobs run on an in-process queue. */
export async function runEdition(deps: EditionDeps, opts: EditionOptions): Promise<RunSummary> {
  const resources = processResources(deps.config, deps.log);
  const tiers = deps.tiers ?? resources.tiers;
  const ctx: PipelineContext = {
    db: deps.db,
    config: deps.config,
    log: deps.log,
    now: deps.now,
    secret: deps.secret,
    progress: deps.progress,
    browser: resources.browser,
    hostLimiter: resources.hostLimiter,
    tiers,
    chain: deps.chain,
    worker: WORKER_ID,
    composed: new Map(),
    openMailer: async () => (deps.mailer ? { mailer: deps.mailer, close: async () => {} } : null),
    queue: null as unknown as JobQueue,
  };
  const queue = new InProcessQueue(stageHandlers(ctx), queueSettings(deps.config, tiers, 'in-process'), {
    onError: (q, id, err, final) =>
      deps.log[final ? 'error' : 'warn'](
        { queue: q, job_id: id, err: err.message },
        final ? 'job failed' : 'job attempt failed; will retry',
      ),
  });
  ctx.queue = queue;
  try {
    return await orchestrateEdition(ctx, {
      date: opts.date,
      dryRun: opts.dryRun,
      trigger: opts.trigger,
      sourceKeys: opts.sourceKeys ?? null,
      groups: opts.groups ?? null,
      ...(opts.deadline !== undefined && { deadline: opts.deadline?.toISOString() ?? null }),
    });
  } finally {
    await queue.close();
    await resources.browser.close();
  }
}

/** The deadline of an edition from the configuration, if a run starting `now` is still before it. */
export function configuredDeadline(config: Config, date: string, now: Date): Date | null {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = config.report.deadline.split(':').map(Number) as [number, number];
  const at = zonedToUtc(y, m, d, hh, mm, config.timeZone);
  return now.getTime() < at.getTime() ? at : null;
}

/** Creates the run record of an edition before it is queued (so `finrep run` can follow it). */
export async function prepareRun(
  db: Db,
  config: Config,
  date: string,
  trigger: string,
): Promise<{ editionId: number; runId: number }> {
  const window = editionWindow(date, {
    timeZone: config.timeZone,
    cutoff: config.report.cutoff,
    windowHours: config.report.windowHours,
  });
  const edition = await editionsQ.ensureEdition(db, date, window.from, window.to);
  return { editionId: edition.id, runId: await runsQ.startRun(db, edition.id, trigger) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sums the extract jobs' summaries; the degradation lines are worked out again over all of them. */
function mergeExtract(parts: { summary: ExtractSummary; outcomes: ExtractOutcomes }[]): ExtractSummary {
  const out: ExtractSummary = {
    articles: 0,
    by_provider: {},
    cached: 0,
    prompt_tokens: 0,
    cached_tokens: 0,
    completion_tokens: 0,
    cost: 0,
    currency: 'CNY',
    degraded: [],
  };
  for (const { summary: s } of parts) {
    out.articles += s.articles;
    out.cached += s.cached;
    out.prompt_tokens += s.prompt_tokens;
    out.cached_tokens += s.cached_tokens;
    out.completion_tokens += s.completion_tokens;
    out.cost = Math.round((out.cost + s.cost) * 1e6) / 1e6;
    for (const [p, n] of Object.entries(s.by_provider)) out.by_provider[p] = (out.by_provider[p] ?? 0) + n;
  }
  const outcomes = parts.flatMap((p) => p.outcomes.outcomes);
  const budgetAtStart = parts.find((p) => p.outcomes.budgetAtStart)?.outcomes.budgetAtStart ?? null;
  const budgetNow = [...parts].reverse().find((p) => p.outcomes.budgetNow)?.outcomes.budgetNow ?? null;
  out.degraded = degradedReasons(outcomes, budgetAtStart, budgetNow);
  return out;
}

/** States of jobs spread over two queues (collect-rss, collect-web). */
async function statesOf(queue: JobQueue, groups: Map<QueueName, string[]>): Promise<JobState[]> {
  const all = await Promise.all([...groups].map(([q, ids]) => queue.states(q, ids)));
  return all.flat();
}

/**
 * The orchestrator of one edition run (the `edition` job). Re-entrant: a run resumed by another worker
 * after a crash finds its run record, sources and jobs again, and adds nothing twice.
 */
export async function orchestrateEdition(
  ctx: PipelineContext,
  input: EditionJob,
  job?: JobHandle<EditionJob>,
): Promise<RunSummary> {
  const { db, config, log, queue } = ctx;
  let data: EditionJob = { ...input };
  const save = async (patch: Partial<EditionJob>) => {
    data = { ...data, ...patch };
    await job?.updateData(data);
  };
  const window = editionWindow(data.date, {
    timeZone: config.timeZone,
    cutoff: config.report.cutoff,
    windowHours: config.report.windowHours,
  });
  const edition = await editionsQ.ensureEdition(db, data.date, window.from, window.to);
  const resumed = data.startedBy !== undefined;
  const previous = data.startedBy;
  if (!resumed) await save({ startedBy: ctx.worker });
  if (data.deadline === undefined)
    await save({ deadline: configuredDeadline(config, data.date, ctx.now())?.toISOString() ?? null });
  const deadline = data.deadline ? new Date(data.deadline) : null;
  if (data.runId === undefined) {
    await save({
      runId: await runsQ.startRun(db, edition.id, data.trigger ?? 'cli', {
        jobId: job?.id ?? null,
        deadlineAt: deadline,
        worker: ctx.worker,
      }),
    });
  } else {
    await runsQ.touchRun(db, data.runId, { worker: ctx.worker, jobId: job?.id ?? null, deadlineAt: deadline });
  }
  const runId = data.runId!;
  const stages = new Stages(db, runId, log, ctx.progress);
  if (resumed) {
    log.warn({ run_id: runId, edition: data.date, previous }, 'resuming an edition run left by another process');
    await stages.event(
      null,
      'recovered',
      `run resumed by ${ctx.worker} (started by ${previous}, attempt ${job?.attempt ?? 1})`,
    );
  }
  const degraded: string[] = [];
  const deadlineLabel = deadline
    ? new Intl.DateTimeFormat('en-GB', { timeZone: config.timeZone, hour: '2-digit', minute: '2-digit' }).format(
        deadline,
      )
    : null;
  const pastDeadline = () => deadline !== null && ctx.now().getTime() >= deadline.getTime();
  await editionsQ.setEditionStatus(db, edition.id, 'running');
  try {
    if (!data.sources) {
      const due = (await sourcesQ.listDueSources(db, ctx.now())).filter(
        (s) => !data.sourceKeys || (s.key !== null && data.sourceKeys.includes(s.key)),
      );
      await save({ sources: due.map((s) => ({ id: s.id, kind: s.kind })) });
    }
    const sources = data.sources!;
    const from = window.from.toISOString();
    const to = window.to.toISOString();

    // 1. Collect, dedup and extract, overlapping: each collected source queues its dedup, each new story its extraction.
    await stages.begin('collect');
    await stages.begin('extract');
    const collectIds = new Map<QueueName, string[]>();
    const collectJob = (sourceId: number) => ({
      id: jobIds.collect(runId, sourceId),
      data: { runId, editionId: edition.id, sourceId, from, to },
    });
    for (const kind of ['rss', 'web'] as const) {
      const list = sources.filter((s) => (kind === 'rss') === (s.kind === 'rss'));
      const q = collectQueue(kind);
      collectIds.set(
        q,
        list.map((s) => jobIds.collect(runId, s.id)),
      );
      await queue.add<CollectJob>(
        q,
        list.map((s) => collectJob(s.id)),
      );
    }
    const dedupFinal = { id: jobIds.dedup(runId, 'final'), data: { runId, editionId: edition.id, from, to } };
    const extractJob = (articleId: number) => ({
      id: jobIds.extract(runId, articleId),
      data: { runId, editionId: edition.id, articleId },
    });
    /** Jobs a Redis that lost its data (restarted without persistence) forgot are queued again: each is idempotent. */
    const requeueMissing = async <T>(q: QueueName, st: JobState[], make: (id: string) => { id: string; data: T }) => {
      const missing = st.filter((x) => x.status === 'missing').map((x) => x.id);
      if (missing.length === 0) return;
      log.warn({ run_id: runId, queue: q, jobs: missing.length }, 'jobs missing from the queue; queuing them again');
      await stages.event(
        null,
        'recovered',
        `${missing.length} ${q} jobs were missing from the queue and were queued again`,
      );
      await queue.add<T>(q, missing.map(make));
    };
    const pollMs = ctx.pollMs ?? (queue.kind === 'bullmq' ? 1000 : 100);
    let phase: 'collect' | 'dedup' | 'extract' | 'done' = 'collect';
    let collectStates: JobState[] = [];
    let extractIds: string[] = [];
    let dedupStats = { unique: 0, nearDuplicates: 0 };
    // Every extract job of the run (dedup jobs queue stories as they appear; the sweep queues the rest), for the summary.
    const allExtractIds = new Set<string>();
    let timedOut = false;
    // Each story stands by its earliest article, whichever source was collected (and deduplicated) first.
    const electRepresentatives = async () => {
      const changed = await storiesQ.electEarliestRepresentatives(db, window.from, window.to);
      if (changed.length > 0)
        log.debug({ run_id: runId, stories: changed.length }, 'story representatives set to their earliest article');
      await carryOverExtractions(db, await articlesQ.listWindowStories(db, window.from, window.to));
    };
    while (phase !== 'done') {
      job?.signal.throwIfAborted();
      if (pastDeadline()) {
        timedOut = true;
        break;
      }
      try {
        if (phase === 'collect') {
          collectStates = await statesOf(queue, collectIds);
          for (const [q, ids] of collectIds)
            await requeueMissing<CollectJob>(
              q,
              collectStates.filter((x) => ids.includes(x.id)),
              (id) => collectJob(sourceOfJob(id)),
            );
          const done = collectStates.filter(isFinished).length;
          await stages.progress('collect', done, sources.length, 'sources');
          if (done === sources.length) {
            await stages.end('collect', await collectLine(db, runId, collectStates));
            await stages.begin('dedup');
            // A last pass over anything a failed collect job stored without queuing its dedup.
            await queue.add<DedupJob>('dedup', [dedupFinal]);
            phase = 'dedup';
          }
        }
        if (phase === 'dedup') {
          const ids = [...sources.map((s) => jobIds.dedup(runId, s.id)), jobIds.dedup(runId, 'final')];
          const st = await queue.states('dedup', ids);
          await requeueMissing<DedupJob>('dedup', st.slice(-1), () => dedupFinal);
          // 'missing': the collect job failed for good before queuing it; the final pass covers its articles.
          if (isFinished(st.at(-1)!) && st.every((s) => isFinished(s) || s.status === 'missing')) {
            for (const s of st) {
              const r = s.result as { unique?: number; nearDuplicates?: number; queued?: number[] } | undefined;
              for (const a of r?.queued ?? []) allExtractIds.add(jobIds.extract(runId, a));
              dedupStats = {
                unique: dedupStats.unique + (r?.unique ?? 0),
                nearDuplicates: dedupStats.nearDuplicates + (r?.nearDuplicates ?? 0),
              };
            }
            const failed = st.filter((s) => s.status === 'failed');
            if (failed.length > 0) throw new Error(`dedup failed: ${failed[0]!.error ?? 'unknown error'}`);
            await stages.end('dedup', `${dedupStats.unique} new stories, ${dedupStats.nearDuplicates} near-duplicates`);
            // The final sweep: every story of the window (representatives may have changed; earlier runs' stories are reused).
            await electRepresentatives();
            const stories = await articlesQ.listWindowStories(db, window.from, window.to);
            await queue.add<ExtractJob>(
              'extract',
              stories.map((s) => extractJob(s.articleId)),
            );
            for (const s of stories) allExtractIds.add(jobIds.extract(runId, s.articleId));
            extractIds = [...allExtractIds];
            phase = 'extract';
          }
        }
        if (phase === 'extract') {
          const st = await queue.states('extract', extractIds);
          await requeueMissing<ExtractJob>('extract', st, (id) => extractJob(Number(/-x(\d+)$/.exec(id)?.[1])));
          const done = st.filter(isFinished).length;
          await stages.progress('extract', done, extractIds.length, 'stories');
          if (done === extractIds.length) phase = 'done';
        }
      } catch (err) {
        if (!isTransient(err)) throw err;
        log.warn({ run_id: runId, err: (err as Error).message }, 'orchestrator could not read its jobs; retrying');
      }
      if (phase !== 'done') await sleep(pollMs);
    }

    // 2. What was not done by the deadline is left out (collection) or done locally (extraction).
    if (timedOut) await electRepresentatives(); // dedup jobs may still have been running
    const stories = await articlesQ.listWindowStories(db, window.from, window.to);
    const storyJobs = stories.map((s) => jobIds.extract(runId, s.articleId));
    if (timedOut) {
      collectStates = await statesOf(queue, collectIds);
      const late = collectStates.filter((s) => !isFinished(s)).map((s) => s.id);
      for (const [q, ids] of collectIds)
        await queue.cancel(
          q,
          ids.filter((id) => late.includes(id)),
        );
      await queue.cancel('extract', storyJobs);
      if (late.length > 0)
        degraded.push(
          `deadline ${deadlineLabel}: ${late.length} of ${sources.length} sources not collected in time, left out of this edition`,
        );
      await stages.event('collect', 'degraded', `deadline ${deadlineLabel} reached during ${phase}`, {
        phase,
        late_sources: late.length,
      });
      if (phase === 'collect')
        await stages.end('collect', await collectLine(db, runId, collectStates), { cut_off_by_deadline: true });
      if (phase === 'collect' || phase === 'dedup')
        await stages.end('dedup', 'cut off by the deadline', { cut_off_by_deadline: true });
    }
    for (const id of storyJobs) allExtractIds.add(id);
    const jobStates = await queue.states('extract', [...allExtractIds]);
    const parts = jobStates.flatMap((s) => {
      const r = s.result as ExtractJobResult | undefined;
      return s.status === 'completed' && r?.summary && r.outcomes ? [{ summary: r.summary, outcomes: r.outcomes }] : [];
    });
    const stored = await extractionsQ.latestExtractions(
      db,
      stories.map((s) => s.articleId),
    );
    const results = new Map<number, Extraction>([...stored].map(([id, row]) => [id, row.result]));
    const missing = stories.filter((s) => !results.has(s.articleId));
    if (missing.length > 0) {
      const local = await runExtract(
        { db, log, llm: config.llm, timeZone: config.timeZone, now: ctx.now, editionId: edition.id, tiers: [] },
        missing,
      );
      for (const [id, r] of local.results) results.set(id, r);
      parts.push({ summary: local.summary, outcomes: local.outcomes });
      const why = timedOut ? `deadline ${deadlineLabel}` : 'extraction jobs failed';
      degraded.push(`${why}: ${missing.length} stories extracted by the local extractor`);
      await stages.event('extract', 'degraded', `${why}: ${missing.length} stories extracted by the local extractor`, {
        stories: missing.length,
      });
    }
    const extract = mergeExtract(parts);
    extract.degraded.push(...degraded.filter((d) => d.includes('extractor')));
    await stages.end(
      'extract',
      `${stories.length} stories, ${extract.articles} extracted${missing.length ? `, ${missing.length} locally` : ''}`,
      { stories: stories.length },
    );

    // 3. Score and compose. Collecting and extracting leave tens of MB of garbage that V8 would carry into
    // composing (which adds its own) and through the minutes of sending: a full collection before composing
    // and one after keep a worker's peak near its live set (docs/benchmarks-edition.md). The embedded
    // database gives back what collecting and dedup made it take, before composing grows it again.
    collectGarbage();
    await releaseDatabaseMemory(db);
    const ranking = await stages.run(
      'score',
      async () => {
        const settings = await loadRankingSettings(db);
        if (settings.problems.length > 0)
          log.warn({ edition: data.date, problems: settings.problems }, 'ranking settings ignored');
        return rankStories(
          stories
            .filter((s) => results.has(s.articleId))
            .map((s) => ({
              articleId: s.articleId,
              clusterId: s.clusterId,
              coverage: s.size,
              sourceWeight: s.sourceWeight,
              effectiveAt: s.effectiveAt,
              extraction: results.get(s.articleId)!,
              title: s.title,
            })),
          {
            windowFrom: window.from,
            windowTo: window.to,
            topN: config.report.topN,
            weights: settings.weights,
            watch: settings.watch,
            ...settings.caps,
          },
        );
      },
      (r) => `${r.top.length} top stories, ${[...r.sections.values()].reduce((n, s) => n + s.length, 0)} in sections`,
    );

    const collect = await collectSummary(db, runId, sources.length, collectStates, timedOut);
    const composed = await stages.run(
      'compose',
      async () => {
        // Loaded here, not at the top: a worker that never composes never holds React, ECharts and exceljs.
        const [{ buildReportModel, writeReportFiles }, { storeReportModel }] = await Promise.all([
          import('../report/build.ts'),
          import('../report/stored-model.ts'),
        ]);
        const items = [
          ...ranking.top.map((s, i) => ({ s, section: 'top', rank: i + 1, top: true })),
          ...[...ranking.sections].flatMap(([section, list]) =>
            list.map((s, i) => ({ s, section, rank: i + 1, top: false })),
          ),
        ];
        const saved = await editionsQ.saveReportItems(
          db,
          edition.id,
          items.map(({ s, section, rank, top }) => ({
            articleId: s.articleId,
            clusterId: s.clusterId,
            section,
            rank,
            top,
            score: s.score,
            factors: s.factors,
          })),
        );
        const model = buildReportModel({
          edition: data.date,
          timeZone: config.timeZone,
          generatedAt: ctx.now(),
          window,
          ranking,
          stories,
          articleCount: await articlesQ.countWindowArticles(db, window.from, window.to),
          allArticles: await articlesQ.listWindowArticles(db, window.from, window.to),
          extractions: results,
          sourceStats: collect.per_source.map((p) => ({
            name: p.name,
            kind: p.kind as 'rss' | 'web' | 'dynamic',
            fetched: p.fetched,
            newArticles: p.new,
            status: p.status,
            error: p.error,
          })),
          // The same base as the unsubscribe links, so the footer always offers the web view.
          webViewUrl: `${(config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`).replace(/\/$/, '')}/reports/${data.date}`,
        });
        // The model first, then the files: storing it (JSON parsed into jsonb) grows the embedded database's
        // WebAssembly heap by ~80 MB for 6,000 articles, which its thread gives back when replaced — before
        // drawing the files takes the process's own heap up, so the two peaks do not meet.
        await editionsQ.updateEdition(db, edition.id, { model: storeReportModel(model) });
        await releaseDatabaseMemory(db);
        const files = await writeReportFiles(model, path.join(config.dataDir, 'reports', data.date), {
          charts: { log },
        });
        if (files.emailOmitted > 0) {
          log.warn(
            { edition: data.date, omitted: files.emailOmitted, bytes: files.emailBytes },
            'email trimmed to stay under the 102 KB clipping limit',
          );
        }
        if (files.chartError)
          log.warn(
            { edition: data.date, err: files.chartError },
            'report charts could not be drawn; the email shows a text bar',
          );
        await editionsQ.updateEdition(db, edition.id, {
          status: 'composed',
          subject: files.subject,
          htmlPath: files.emailHtml,
          textPath: files.text,
          xlsxPath: files.xlsx,
          webviewPath: files.webview,
          itemCount: items.length,
          composedAt: ctx.now(),
        });
        ctx.composed.set(edition.id, files);
        return { files, items: items.length, added: saved.added };
      },
      (c) =>
        `${c.items} items, email ${Math.round(c.files.emailBytes / 1024)} KB${c.files.emailOmitted > 0 ? ` (${c.files.emailOmitted} trimmed)` : ''} → ${c.files.webview}`,
    );

    collectGarbage();

    // 4. Deliver: a job of its own (any worker; the delivery log's leases make it exactly-once).
    const deliver = data.dryRun
      ? null
      : await stages.run(
          'deliver',
          async () => {
            await editionsQ.setEditionStatus(db, edition.id, 'delivering');
            const id = jobIds.deliver(runId);
            await queue.add<DeliverJob>('deliver', [
              { id, data: { runId, editionId: edition.id, date: data.date, groups: data.groups ?? null } },
            ]);
            for (;;) {
              job?.signal.throwIfAborted();
              const [s] = await queue.states('deliver', [id]).catch((err: unknown) => {
                if (isTransient(err)) return [];
                throw err;
              });
              if (s?.status === 'completed') return s.result as DeliverSummary & { transport: 'smtp' | 'outbox' };
              if (s?.status === 'missing') {
                await stages.event(
                  'deliver',
                  'recovered',
                  'the deliver job was missing from the queue and was queued again',
                );
                await queue.add<DeliverJob>('deliver', [
                  { id, data: { runId, editionId: edition.id, date: data.date, groups: data.groups ?? null } },
                ]);
              } else if (s?.status === 'failed') {
                const counts = await deliveriesQ.deliveryCounts(db, edition.id, data.groups ?? null, {
                  activeOnly: true,
                });
                return {
                  recipients: Object.values(counts).reduce((a, b) => a + b, 0),
                  sent: 0,
                  failed: counts.failed,
                  skipped: 0,
                  uncertain: counts.uncertain,
                  retrying: counts.queued + counts.retrying,
                  error: s.error ?? 'the deliver job failed',
                  transport: null,
                };
              }
              await sleep(pollMs);
            }
          },
          (d) => `${d.sent} sent, ${d.failed} failed, ${d.skipped} skipped${d.error ? ` — ${d.error}` : ''}`,
        );
    ctx.composed.delete(edition.id); // sent by another worker, or a dry run: nothing here needs the files any more

    const partial =
      collect.failed_sources > 0 ||
      degraded.length > 0 ||
      (deliver !== null && (deliver.failed > 0 || deliver.error !== null || deliver.retrying > 0));
    const status = partial ? 'partial' : 'ok';
    const summary: RunSummary = {
      edition: data.date,
      status,
      dry_run: data.dryRun ?? false,
      collect: {
        sources: collect.sources,
        fetched: collect.fetched,
        new_articles: collect.new_articles,
        failed_sources: collect.failed_sources,
        errors: collect.errors,
      },
      dedup: {
        unique: dedupStats.unique,
        clusters: stories.length,
        duplicates: collect.duplicates + dedupStats.nearDuplicates,
      },
      extract,
      report: {
        items: composed.items,
        html: composed.files.webview,
        email_html: composed.files.emailHtml,
        text: composed.files.text,
        xlsx: composed.files.xlsx,
      },
      deliver: deliver
        ? {
            recipients: deliver.recipients,
            sent: deliver.sent,
            failed: deliver.failed,
            skipped: deliver.skipped,
            uncertain: deliver.uncertain,
            transport: deliver.transport,
            error: deliver.error,
          }
        : { recipients: 0, sent: 0, failed: 0, skipped: 0, uncertain: 0, transport: null, error: null },
      timings_ms: stages.timings,
      run_id: runId,
      degraded,
      deadline: deadline?.toISOString() ?? null,
      queue: queue.kind,
    };
    await editionsQ.updateEdition(db, edition.id, {
      status: deliver ? (deliver.failed > 0 || deliver.error ? 'partial' : 'delivered') : 'composed',
      summary: summary as unknown as Record<string, unknown>,
      ...(deliver ? { deliveredAt: ctx.now() } : {}),
    });
    await runsQ.finishRun(db, runId, status, summary as unknown as Record<string, unknown>, null);
    await stages.event(null, 'info', `run ${status}`);
    return summary;
  } catch (err) {
    // Stopped on purpose (shutdown, or the job went to another worker): the run goes on elsewhere, not failed.
    if (job?.signal.aborted) throw err;
    await stages.failOpen(err);
    await runsQ.finishRun(db, runId, 'failed', {}, (err as Error).message).catch(() => {});
    await editionsQ.setEditionStatus(db, edition.id, 'failed').catch(() => {});
    throw err;
  }
}

/**
 * A story whose representative has no extraction takes the newest one made from another copy of it (its
 * representative changed after that copy was extracted): the same story is not sent to an LLM twice. A
 * local extraction is not carried over: redoing it costs nothing, and the report then depends on the
 * representative only, not on which copy happened to be collected first.
 */
async function carryOverExtractions(
  db: Db,
  stories: { articleId: number; clusterId: number; contentHash: string }[],
): Promise<number> {
  const stored = await extractionsQ.latestExtractions(
    db,
    stories.map((s) => s.articleId),
  );
  const lacking = stories.filter((s) => !stored.has(s.articleId));
  if (lacking.length === 0) return 0;
  const byCluster = await extractionsQ.latestForClusters(
    db,
    lacking.map((s) => s.clusterId),
  );
  let carried = 0;
  for (const s of lacking) {
    const row = byCluster.get(s.clusterId);
    if (!row || row.provider === 'local') continue;
    await extractionsQ.saveExtraction(db, {
      articleId: s.articleId,
      provider: row.provider,
      model: row.model,
      promptVersion: row.promptVersion,
      contentHash: s.contentHash,
      result: row.result,
    });
    carried++;
  }
  return carried;
}

/** Errors worth waiting out (a restarting database or Redis), not worth failing a run for. */
function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08006', '08001', '08003'].includes(
      e.code ?? '',
    ) ||
    /Connection terminated|connection is closed|Connection is closed|the database system is (starting up|shutting down)/i.test(
      e.message ?? '',
    )
  );
}

async function collectLine(db: Db, runId: number, states: JobState[]): Promise<string> {
  const f = await runsQ.runFetches(db, runId);
  const failed = f.filter((r) => r.status === 'failed').length + states.filter((s) => s.status === 'failed').length;
  return `${states.length} sources, ${f.reduce((n, r) => n + r.items, 0)} items, ${f.reduce((n, r) => n + r.newItems, 0)} new, ${failed} failed`;
}

/** The source of a collect job id (`r<run>-c<source>`). */
const sourceOfJob = (jobId: string) => Number(/-c(\d+)$/.exec(jobId)?.[1]);

/** The collect stage as recorded in `source_fetches` for this run, plus sources whose job failed or never ran. */
async function collectSummary(db: Db, runId: number, total: number, states: JobState[], timedOut: boolean) {
  const fetches = await runsQ.runFetches(db, runId);
  const seen = new Set(fetches.map((f) => f.id));
  const per_source = fetches.map((f) => ({
    id: f.id,
    name: f.name,
    kind: f.kind,
    fetched: f.items,
    new: f.newItems,
    status: f.status as 'ok' | 'not_modified' | 'failed',
    error: f.error,
    duplicates: Math.max(0, f.items - f.newItems),
  }));
  const unfinished = states.filter((s) => s.status !== 'completed' && !seen.has(sourceOfJob(s.id)));
  if (unfinished.length > 0) {
    const rows = new Map((await sourcesQ.listSources(db)).map((r) => [r.id, r]));
    for (const s of unfinished) {
      const src = rows.get(sourceOfJob(s.id));
      if (!src) continue;
      const error =
        s.status === 'failed'
          ? `collect job failed: ${s.error ?? 'unknown error'}`
          : timedOut
            ? 'not collected before the deadline'
            : 'not collected';
      per_source.push({
        id: src.id,
        name: src.name,
        kind: src.kind,
        fetched: 0,
        new: 0,
        status: 'failed',
        error,
        duplicates: 0,
      });
    }
  }
  const failed = per_source.filter((p) => p.status === 'failed');
  return {
    sources: total,
    fetched: per_source.reduce((n, p) => n + p.fetched, 0),
    new_articles: per_source.reduce((n, p) => n + p.new, 0),
    failed_sources: failed.length,
    duplicates: per_source.reduce((n, p) => n + p.duplicates, 0),
    errors: failed.map((p) => ({ source: p.name, error: p.error ?? 'failed' })),
    per_source: per_source.map(({ duplicates: _d, ...p }) => p),
  };
}
