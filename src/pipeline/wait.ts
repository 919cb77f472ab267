import { isUnavailable } from './errors.ts';
import { isFinished } from './queue.ts';
import type { JobState, NewJob, QueueName } from './queue.ts';
import { pastDeadline } from './run.ts';
import type { EditionDeps, EditionRun } from './run.ts';
import { eventText } from './event-texts.ts';

/** Some jobs of one queue an edition waits for. */
export interface JobSet<T = unknown> {
  queue: QueueName;
  ids: readonly string[];
  /** The job again, for one the queue lost (every job is idempotent). Absent: a lost job counts as ended. */
  remake?: (id: string) => NewJob<T>;
  /** The stage a re-queuing is recorded under. @defaultValue the run's (null) */
  stage?: string;
}

export interface WaitOptions {
  /** Live progress of a stage: jobs ended of all, in `unit`. */
  progress?: { stage: string; unit: string };
  /** Gives up at the run's deadline. @defaultValue true */
  deadline?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every job of `sets` has ended (completed or failed for good), queuing again the jobs the queue
 * lost (a Redis restarted without its data). A moment without the queue or the database is waited out.
 * Returns the jobs' states in the order of the sets, or null when the run's deadline came first.
 *
 * @example
 * const states = await awaitJobs(deps, run, [{ queue: 'extract', ids, remake }]);
 * if (!states) run.cutOff = 'extract';
 */
export async function awaitJobs(
  deps: EditionDeps,
  run: EditionRun,
  sets: JobSet[],
  opts: WaitOptions = {},
): Promise<JobState[] | null> {
  const pollMs = deps.pollMs ?? (deps.queue.kind === 'bullmq' ? 1000 : 100);
  for (;;) {
    run.job?.signal.throwIfAborted();
    if (opts.deadline !== false && pastDeadline(deps, run)) return null;
    try {
      const states = await lookOnce(deps, run, sets, opts);
      if (states) return states;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      deps.log.warn(
        { run_id: run.runId, err: (err as Error).message },
        'orchestrator could not read its jobs; retrying',
      );
    }
    await sleep(pollMs);
  }
}

/** One look at the jobs: lost ones queued again, progress recorded; the states once every job has ended. */
async function lookOnce(deps: EditionDeps, run: EditionRun, sets: JobSet[], opts: WaitOptions) {
  const all: JobState[] = [];
  let ended = 0;
  for (const set of sets) {
    const states = await deps.queue.states(set.queue, set.ids);
    const lost = set.remake ? states.filter((s) => s.status === 'missing').map((s) => s.id) : [];
    if (lost.length > 0) await requeue(deps, run, set, lost);
    ended += states.filter((s) => isFinished(s) || (s.status === 'missing' && !set.remake)).length;
    all.push(...states);
  }
  if (opts.progress) await run.stages.progress(opts.progress.stage, ended, all.length, opts.progress.unit);
  return ended === all.length ? all : null;
}

async function requeue(deps: EditionDeps, run: EditionRun, set: JobSet, lost: string[]): Promise<void> {
  deps.log.warn(
    { run_id: run.runId, queue: set.queue, jobs: lost.length },
    'jobs missing from the queue; queuing them again',
  );
  const line =
    lost.length === 1
      ? eventText('jobs.requeuedOne', { queue: set.queue })
      : eventText('jobs.requeued', { count: lost.length, queue: set.queue });
  await run.stages.event(set.stage ?? null, 'recovered', line);
  await deps.queue.add(set.queue, lost.map(set.remake!));
}
