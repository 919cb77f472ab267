import type { Db } from '../../db/client.ts';
import { articlesQ, extractionsQ, storiesQ } from '../../db/queries/index.ts';
import { PermanentError } from '../errors.ts';
import { jobIds } from '../queue.ts';
import type { DedupJob, DedupJobResult, ExtractJob, NewJob } from '../queue.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import { awaitJobs } from '../wait.ts';
import { eventText } from '../event-texts.ts';

/**
 * Dedup's last pass, once every source is collected: waits for the sources' dedup jobs and a final one
 * (anything a failed collect job stored without queuing its dedup), then queues the extraction of every
 * story of the window (representatives may have changed; earlier runs' stories are reused).
 */
export async function dedupPhase(deps: EditionDeps, run: EditionRun): Promise<void> {
  if (run.cutOff) return;
  await run.stages.begin('dedup');
  const final = finalDedupJob(run);
  await deps.queue.add<DedupJob>('dedup', [final]);
  // A source's dedup job is missing when its collect job failed for good before queuing it: the final pass
  // covers its articles, so it is not queued again.
  const perSource = run.sources.map((s) => jobIds.dedup(run.runId, s.id));
  const states = await awaitJobs(deps, run, [
    { queue: 'dedup', ids: perSource },
    { queue: 'dedup', ids: [final.id], remake: () => final },
  ]);
  if (!states) {
    run.cutOff = 'dedup';
    return;
  }
  for (const s of states) {
    const r = s.result as Partial<DedupJobResult> | undefined;
    for (const a of r?.queued ?? []) run.extractIds.add(jobIds.extract(run.runId, a));
    run.dedup.unique += r?.unique ?? 0;
    run.dedup.nearDuplicates += r?.nearDuplicates ?? 0;
  }
  const failed = states.find((s) => s.status === 'failed');
  if (failed) throw new PermanentError(`dedup failed: ${failed.error ?? 'unknown error'}`);
  await run.stages.end('dedup', eventText('dedup.done', { unique: run.dedup.unique, near: run.dedup.nearDuplicates }));
  await electRepresentatives(deps, run);
  const stories = await articlesQ.listWindowStories(deps.db, run.window.from, run.window.to);
  await deps.queue.add<ExtractJob>(
    'extract',
    stories.map((s) => extractJobOf(run, s.articleId)),
  );
  for (const s of stories) run.extractIds.add(jobIds.extract(run.runId, s.articleId));
}

function finalDedupJob(run: EditionRun): NewJob<DedupJob> {
  const { runId, editionId, window } = run;
  const data = { runId, editionId, from: window.from.toISOString(), to: window.to.toISOString() };
  return { id: jobIds.dedup(runId, 'final'), data };
}

/** The extract job of one story's representative. */
export const extractJobOf = (run: EditionRun, articleId: number): NewJob<ExtractJob> => ({
  id: jobIds.extract(run.runId, articleId),
  data: { runId: run.runId, editionId: run.editionId, articleId },
});

/** Each story stands by its earliest article, whichever source was collected (and deduplicated) first. */
export async function electRepresentatives(deps: EditionDeps, run: EditionRun): Promise<void> {
  const { from, to } = run.window;
  const changed = await storiesQ.electEarliestRepresentatives(deps.db, from, to);
  if (changed.length > 0)
    deps.log.debug(
      { run_id: run.runId, stories: changed.length },
      'story representatives set to their earliest article',
    );
  await carryOverExtractions(deps.db, await articlesQ.listWindowStories(deps.db, from, to));
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
    const { provider, model, promptVersion, result } = row;
    await extractionsQ.saveExtraction(db, {
      articleId: s.articleId,
      provider,
      model,
      promptVersion,
      contentHash: s.contentHash,
      result,
    });
    carried++;
  }
  return carried;
}
