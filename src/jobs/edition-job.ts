import { editionsQ, runsQ } from '../db/queries/index.ts';
import { orchestrateEdition } from '../pipeline/edition.ts';
import type { EditionDeps } from '../pipeline/edition.ts';
import type { EditionJob, JobHandle } from '../pipeline/queue.ts';
import { windowOf } from '../pipeline/run.ts';
import type { RunSummary } from '../pipeline/summary.ts';
import { todayEdition } from '../pipeline/window.ts';

/** Triggers of the scheduler: such an edition runs once, however many beats or catch-ups ask for it. */
export const SCHEDULED_TRIGGERS = ['schedule', 'catch-up'] as const;

export interface SkippedEdition {
  skipped: string;
  edition: string;
  run_id: number | null;
}

/**
 * The `edition` job: a scheduled edition that already has a live run (another beat's, a catch-up's) is
 * skipped; otherwise the orchestrator runs (or resumes) it.
 */
export async function editionJobHandler(
  deps: EditionDeps,
  job: JobHandle<EditionJob>,
): Promise<RunSummary | SkippedEdition> {
  let data = job.data;
  // A job of the BullMQ scheduler carries no date: it is the edition of the moment it was due (on the
  // accelerated clock of a soak benchmark, when FINREP_BENCH_CLOCK sets one).
  if (!data.date) {
    const dueAt = new Date(job.scheduledAt ?? Date.now());
    data = { ...data, date: todayEdition(deps.scheduleClock?.(dueAt) ?? dueAt, deps.config.timeZone) };
    await job.updateData(data);
  }
  if (data.runId === undefined && (SCHEDULED_TRIGGERS as readonly string[]).includes(data.trigger ?? '')) {
    const window = windowOf(deps.config, data.date);
    const edition = await editionsQ.ensureEdition(deps.db, data.date, window.from, window.to);
    const runId = await runsQ.claimScheduledRun(deps.db, edition.id, data.trigger!, SCHEDULED_TRIGGERS, job.id);
    if (runId === null) {
      const live = await runsQ.liveRunsOf(deps.db, edition.id, SCHEDULED_TRIGGERS);
      deps.log.info(
        { edition: data.date, run_id: live[0]?.id, job_id: job.id },
        'scheduled edition already has its run; skipped',
      );
      return {
        skipped: `edition ${data.date} already has its scheduled run`,
        edition: data.date,
        run_id: live[0]?.id ?? null,
      };
    }
    await job.updateData({ ...data, runId });
  }
  return orchestrateEdition(deps, job.data, job);
}
