/**
 * Starting an edition from the web inside the embedded process (`finrep start`, no Redis): the run's record
 * is written, then its `edition` job goes on the process's own in-process queue — the queue the schedule
 * adds to — so the run is followed like any other (`GET /api/v1/runs/:id/events`).
 */
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { windowOf } from '../pipeline/run.ts';
import { jobIds } from '../pipeline/queue.ts';
import type { EditionJob } from '../pipeline/queue.ts';
import { editionsQ, runsQ } from '../db/queries/index.ts';
import type { EditionStarter } from './deps.ts';

/** The queue of the embedded process (its `add` is all this needs). */
export interface EditionQueue {
  add<T>(queue: 'edition', jobs: { id: string; data: T }[]): Promise<void>;
}

/**
 * A starter for `WebDeps.startEdition` on `queue`. One start at a time (a promise chain), and an edition that
 * has a run still running since this process began is not started again: the answer names that run instead.
 * Runs left `running` by an earlier process that crashed do not block (they are older than this process).
 */
export function inProcessEditionStarter(deps: { db: Db; config: Config; queue: EditionQueue }): EditionStarter {
  const since = new Date();
  let chain: Promise<unknown> = Promise.resolve();
  return (job) => {
    const next = chain.then(async () => {
      const window = windowOf(deps.config, job.date);
      const edition = await editionsQ.ensureEdition(deps.db, job.date, window.from, window.to);
      const recent = new Date(Math.max(since.getTime(), Date.now() - runsQ.RUNNING_RUN_MAX_AGE_MS));
      const started = await runsQ.startRunUnlessRunning(deps.db, edition.id, job.trigger, recent);
      if ('running' in started) return started;
      const { runId } = started;
      const id = jobIds.edition(job.date, runId);
      await deps.queue.add<EditionJob>('edition', [
        { id, data: { date: job.date, dryRun: job.dryRun, groups: job.groups, trigger: job.trigger, runId } },
      ]);
      return { runId, jobId: id };
    });
    chain = next.catch(() => undefined);
    return next;
  };
}
