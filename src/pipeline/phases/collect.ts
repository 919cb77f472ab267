import type { Db } from '../../db/client.ts';
import { runsQ, sourcesQ } from '../../db/queries/index.ts';
import { collectQueue, jobIds, sourceOfJob } from '../queue.ts';
import type { CollectJob, JobState, NewJob } from '../queue.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import { awaitJobs } from '../wait.ts';
import type { JobSet } from '../wait.ts';
import { eventText } from '../event-texts.ts';
import type { CodedText } from '../../lib/coded-text.ts';

/**
 * Collect, with dedup and extraction overlapping it: one job per source, each queuing the dedup of what it
 * stored, each dedup the extraction of the new stories. Ends when every source's job has ended.
 */
export async function collectPhase(deps: EditionDeps, run: EditionRun): Promise<void> {
  await fixSources(deps, run);
  await run.stages.begin('collect');
  await run.stages.begin('extract');
  const sets = collectSets(run);
  for (const set of sets) await deps.queue.add(set.queue, set.ids.map(set.remake!));
  const states = await awaitJobs(deps, run, sets, { progress: { stage: 'collect', unit: 'sources' } });
  if (!states) {
    run.cutOff = 'collect';
    return;
  }
  run.collected = states;
  await run.stages.end('collect', await collectLine(deps.db, run.runId, states));
}

/** The sources due now (the demo's only, when given), fixed on the job at the run's start. */
async function fixSources(deps: EditionDeps, run: EditionRun): Promise<void> {
  if (!run.data.sources) {
    const keys = run.data.sourceKeys;
    const due = (await sourcesQ.listDueSources(deps.db, deps.now())).filter(
      (s) => !keys || (s.key !== null && keys.includes(s.key)),
    );
    await run.save({ sources: due.map((s) => ({ id: s.id, kind: s.kind })) });
  }
  run.sources = run.data.sources!;
}

/** The collect jobs of the run, on the RSS queue and the web queue. */
export function collectSets(run: EditionRun): JobSet<CollectJob>[] {
  const { runId, editionId } = run;
  const data = { runId, editionId, from: run.window.from.toISOString(), to: run.window.to.toISOString() };
  const remake = (id: string): NewJob<CollectJob> => ({ id, data: { ...data, sourceId: sourceOfJob(id) } });
  return (['rss', 'web'] as const).map((kind) => ({
    queue: collectQueue(kind),
    ids: run.sources.filter((s) => (kind === 'rss') === (s.kind === 'rss')).map((s) => jobIds.collect(runId, s.id)),
    remake,
  }));
}

/** The collect stage's line: sources, items, new ones and failures. */
export async function collectLine(db: Db, runId: number, states: JobState[]): Promise<CodedText> {
  const f = await runsQ.runFetches(db, runId);
  const failed = f.filter((r) => r.status === 'failed').length + states.filter((s) => s.status === 'failed').length;
  const items = f.reduce((n, r) => n + r.items, 0);
  const fresh = f.reduce((n, r) => n + r.newItems, 0);
  return eventText('collect.done', { sources: states.length, items, fresh, failed });
}

/** The collect stage of the run, per source and in total. */
export type CollectReport = Awaited<ReturnType<typeof collectReport>>;

/** The collect stage as recorded in `source_fetches` for this run, plus sources whose job failed or never ran. */
export async function collectReport(db: Db, run: EditionRun) {
  const fetches = await runsQ.runFetches(db, run.runId);
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
  const unfinished = run.collected.filter((s) => s.status !== 'completed' && !seen.has(sourceOfJob(s.id)));
  if (unfinished.length > 0) {
    const rows = new Map((await sourcesQ.listSources(db)).map((r) => [r.id, r]));
    for (const s of unfinished) {
      const src = rows.get(sourceOfJob(s.id));
      if (!src) continue;
      const { id, name, kind } = src;
      per_source.push({
        id,
        name,
        kind,
        fetched: 0,
        new: 0,
        status: 'failed',
        error: notCollected(s, run),
        duplicates: 0,
      });
    }
  }
  const failed = per_source.filter((p) => p.status === 'failed');
  return {
    sources: run.sources.length,
    fetched: per_source.reduce((n, p) => n + p.fetched, 0),
    new_articles: per_source.reduce((n, p) => n + p.new, 0),
    failed_sources: failed.length,
    duplicates: per_source.reduce((n, p) => n + p.duplicates, 0),
    errors: failed.map((p) => ({ source: p.name, error: p.error ?? 'failed' })),
    per_source: per_source.map(({ duplicates: _d, ...p }) => p),
  };
}

function notCollected(s: JobState, run: EditionRun): string {
  if (s.status === 'failed') return `collect job failed: ${s.error ?? 'unknown error'}`;
  return run.cutOff ? 'not collected before the deadline' : 'not collected';
}
