/**
 * One edition run's record and state: opened (or found again, when another worker resumes it), carried
 * through the phases, and closed as failed when a phase throws.
 */
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { editionsQ, runsQ } from '../db/queries/index.ts';
import { zonedToUtc } from '../lib/time.ts';
import type { Logger } from '../log.ts';
import type { ComposedFiles } from '../report/build.ts';
import type { EditionJob, JobHandle, JobState, StageQueue } from './queue.ts';
import { Stages } from './stages.ts';
import { editionWindow } from './window.ts';
import { eventText } from './event-texts.ts';

/** What the orchestrator of an edition uses. */
export interface EditionDeps {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
  /**
   * The clock that dates a job of the BullMQ scheduler (which carries no date): the real one, unless the
   * FINREP_BENCH_CLOCK benchmark hook accelerates it (config/bench-clock.ts).
   */
  scheduleClock?: (real: Date) => Date;
  /** Where the stage jobs go (BullMQ or in process: chosen where the program is wired together). */
  queue: StageQueue;
  /** host:pid of this process, recorded on the runs it works on. */
  worker: string;
  /** Per-stage lines for a terminal. */
  progress?: (line: string) => void;
  /** Files composed here, by edition id: this process's deliver job need not draw them again. */
  composed?: Map<number, ComposedFiles>;
  /** How often the orchestrator looks at its jobs. @defaultValue 100 ms in process, 1000 ms on BullMQ */
  pollMs?: number;
}

/** A run in progress: its ids, window, deadline, and what the phases found so far. */
export interface EditionRun {
  data: EditionJob & { runId: number };
  job: JobHandle<EditionJob> | undefined;
  editionId: number;
  runId: number;
  window: { from: Date; to: Date };
  stages: Stages;
  deadline: Date | null;
  /** What did not go as configured, for the summary. */
  degraded: string[];
  /** The phase the deadline cut short, if it did. */
  cutOff: 'collect' | 'dedup' | 'extract' | null;
  /** The sources collected (fixed at the run's start) and their jobs' last states. */
  sources: { id: number; kind: string }[];
  collected: JobState[];
  dedup: { unique: number; nearDuplicates: number };
  /** Every extract job of the run (dedup jobs queue stories as they appear; the sweep queues the rest). */
  extractIds: Set<string>;
  /** Stores on the job what the run decided, so a resumed run decides the same. */
  save(patch: Partial<EditionJob>): Promise<void>;
}

/** The window of an edition's date from the configuration. */
export const windowOf = (config: Config, date: string) =>
  editionWindow(date, {
    timeZone: config.timeZone,
    cutoff: config.report.cutoff,
    windowHours: config.report.windowHours,
  });

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
  const window = windowOf(config, date);
  const edition = await editionsQ.ensureEdition(db, date, window.from, window.to);
  return { editionId: edition.id, runId: await runsQ.startRun(db, edition.id, trigger) };
}

/**
 * Opens the run of an `edition` job, or finds it again: a run resumed by another worker after a crash keeps
 * its run record, deadline and sources, and says it was resumed.
 */
export async function openRun(deps: EditionDeps, input: EditionJob, job?: JobHandle<EditionJob>): Promise<EditionRun> {
  const { db, config } = deps;
  let data: EditionJob = { ...input };
  const save = async (patch: Partial<EditionJob>) => {
    data = { ...data, ...patch };
    await job?.updateData(data);
  };
  const window = windowOf(config, data.date);
  const edition = await editionsQ.ensureEdition(db, data.date, window.from, window.to);
  const previous = data.startedBy;
  if (previous === undefined) await save({ startedBy: deps.worker });
  if (data.deadline === undefined)
    await save({ deadline: configuredDeadline(config, data.date, deps.now())?.toISOString() ?? null });
  const deadline = data.deadline ? new Date(data.deadline) : null;
  const record = { worker: deps.worker, jobId: job?.id ?? null, deadlineAt: deadline };
  if (data.runId === undefined)
    await save({ runId: await runsQ.startRun(db, edition.id, data.trigger ?? 'cli', record) });
  else await runsQ.touchRun(db, data.runId, record);
  const runId = data.runId!;
  const stages = new Stages(db, runId, deps.log, deps.progress);
  if (previous !== undefined) {
    deps.log.warn({ run_id: runId, edition: data.date, previous }, 'resuming an edition run left by another process');
    const attempt = job?.attempt ?? 1;
    await stages.event(
      null,
      'recovered',
      eventText('run.resumed', { worker: deps.worker, previous: String(previous), attempt }),
    );
  }
  await editionsQ.setEditionStatus(db, edition.id, 'running');
  return {
    get data() {
      return { ...data, runId };
    },
    job,
    editionId: edition.id,
    runId,
    window,
    stages,
    deadline,
    degraded: [],
    cutOff: null,
    sources: data.sources ?? [],
    collected: [],
    dedup: { unique: 0, nearDuplicates: 0 },
    extractIds: new Set(),
    save,
  };
}

/** Whether the run's deadline has passed. */
export const pastDeadline = (deps: Pick<EditionDeps, 'now'>, run: EditionRun): boolean =>
  run.deadline !== null && deps.now().getTime() >= run.deadline.getTime();

/** The deadline as the operator reads it (`06:15` in TZ). */
export function deadlineLabel(config: Config, run: EditionRun): string {
  if (!run.deadline) return '';
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: config.timeZone, hour: '2-digit', minute: '2-digit' });
  return f.format(run.deadline);
}

/**
 * Records a run that ended on an error: its open stages failed and, when the queue will not try the edition
 * job again, the run and the edition failed. While another attempt is coming the run stays `running`, with
 * a `retrying` event saying which attempt failed, why, and when the next one starts: the console never
 * shows `failed` for a run that then goes on.
 */
export async function failRun(deps: EditionDeps, run: EditionRun, err: unknown): Promise<void> {
  await run.stages.failOpen(err);
  const job = run.job;
  const retryIn = job?.retryIn(err) ?? null;
  if (job && retryIn !== null) {
    const message = err instanceof Error ? err.message : String(err);
    const data = { attempt: job.attempt, attempts: job.attempts, retry_in_ms: retryIn, error: message };
    deps.log.warn({ run_id: run.runId, job_id: job.id, ...data }, 'edition attempt failed; the job will be retried');
    const seconds = Math.ceil(retryIn / 1000);
    const line = eventText('run.retrying', { attempt: job.attempt, attempts: job.attempts, error: message, seconds });
    await run.stages.event(null, 'retrying', line, data).catch(() => {});
    return;
  }
  await runsQ.finishRun(deps.db, run.runId, 'failed', {}, (err as Error).message).catch(() => {});
  await editionsQ.setEditionStatus(deps.db, run.editionId, 'failed').catch(() => {});
}
