/**
 * One edition, top to bottom: collect → dedup → extract (overlapping, as jobs) → score → compose →
 * deliver (a job) → summary. The same code runs embedded (an in-process queue inside `finrep run` or
 * `finrep start`) and in production (the `edition` job of a BullMQ worker, its stage jobs spread over all
 * workers); which queue is chosen where the program is wired together (`jobs/`, `cli/`). The deadline guard
 * (`EDITION_DEADLINE`) stops waiting for collection and LLM extraction: what is left goes to the local
 * extractor and the report goes out on time, saying what degraded.
 */
import { effectiveConfig } from '../config/overrides.ts';
import { collectGarbage } from '../lib/gc.ts';
import { collectPhase, collectReport } from './phases/collect.ts';
import { composePhase } from './phases/compose.ts';
import { dedupPhase } from './phases/dedup.ts';
import { deliverPhase } from './phases/deliver.ts';
import { extractPhase } from './phases/extract.ts';
import { finishPhase } from './phases/finish.ts';
import { reviewPhase } from './phases/review.ts';
import { scorePhase } from './phases/score.ts';
import type { EditionJob, JobHandle } from './queue.ts';
import { failRun, openRun } from './run.ts';
import type { EditionDeps } from './run.ts';
import type { RunSummary } from './summary.ts';

export { configuredDeadline, prepareRun } from './run.ts';
export type { EditionDeps } from './run.ts';
export type { EditionJob } from './queue.ts';

/**
 * The orchestrator of one edition run (the `edition` job). Re-entrant: a run resumed by another worker
 * after a crash finds its run record, sources and jobs again, and adds nothing twice.
 *
 * @example
 * const summary = await orchestrateEdition({ db, config, log, now, queue, worker }, { date: '2025-11-10' });
 */
export async function orchestrateEdition(
  envDeps: EditionDeps,
  input: EditionJob,
  job?: JobHandle<EditionJob>,
): Promise<RunSummary> {
  // The admin's runtime overrides (top N, budgets, …) as they stand when the edition starts.
  const deps = { ...envDeps, config: await effectiveConfig(envDeps.db, envDeps.config) };
  const run = await openRun(deps, input, job);
  try {
    await collectPhase(deps, run);
    await dedupPhase(deps, run);
    const extracted = await extractPhase(deps, run);
    const ranking = await scorePhase(deps, run, extracted);
    const collect = await collectReport(deps.db, run);
    const composed = await composePhase(deps, run, { extracted, ranking, collect });
    await reviewPhase(deps, run, composed); // REPORT_REVIEW: a draft until an editor approves it, or its deadline
    collectGarbage(); // composing's garbage does not go along through the minutes of sending
    const delivered = await deliverPhase(deps, run);
    deps.composed?.delete(run.editionId); // sent by another worker, or a dry run: the files are not needed here
    return await finishPhase(deps, run, { collect, extracted, composed, delivered });
  } catch (err) {
    // Stopped on purpose (shutdown, or the job went to another worker): the run goes on elsewhere, not failed.
    if (job?.signal.aborted) throw err;
    await failRun(deps, run, err);
    throw err;
  }
}
