/**
 * The alert run as a job: an `edition` queue job with trigger `alerts` (the alert schedule's, or
 * `finrep alerts run`'s — on any worker with REDIS_URL, else in process). It opens what the pusher needs — the stored channels and, for rules
 * that mail, the edition's mail transport — runs the alert pipeline, and closes them.
 */
import { alertsQ } from '../db/queries/index.ts';
import type { OpenedMailer } from '../jobs/handlers.ts';
import type { EditionDeps } from '../pipeline/edition.ts';
import type { EditionJob, JobHandle } from '../pipeline/queue.ts';
import { nextEditionDate, runAlertPipeline } from './run.ts';
import type { AlertRunSummary, SkippedAlertRun } from './run.ts';
import { storedChannels } from './targets.ts';

/** The orchestrator's dependencies, the signing secret (sealed channel URLs) and the mail transport's opener. */
export interface AlertJobDeps extends EditionDeps {
  secret: string;
  openMailer: (folder: string) => Promise<OpenedMailer | null>;
  /** How often a run renews its lease (tests). @defaultValue 1 min */
  heartbeatMs?: number;
}

/** Runs (or resumes) one alert run; a job without a date is the next edition's (the schedule's jobs carry none). */
export async function alertJobHandler(
  deps: AlertJobDeps,
  job: JobHandle<EditionJob>,
): Promise<AlertRunSummary | SkippedAlertRun | { skipped: 'no enabled alert rules' }> {
  let data = job.data;
  // The schedule is on by default: without a rule, a fire collects nothing and records no run (an operator
  // who never wrote a rule sees no alert runs every 10 minutes). `finrep alerts run` by hand always runs.
  if (!data.date && (await alertsQ.listEnabledRules(deps.db)).length === 0) {
    deps.log.debug('alert run skipped: no enabled alert rules');
    return { skipped: 'no enabled alert rules' };
  }
  if (!data.date) {
    data = { ...data, date: nextEditionDate(deps.config, deps.now()) };
    await job.updateData(data);
  }
  return runAlerts(deps, data, job);
}

/** One alert run with the channels and mail opened for it. */
export async function runAlerts(
  deps: AlertJobDeps,
  data: EditionJob,
  job?: JobHandle<EditionJob>,
): Promise<AlertRunSummary | SkippedAlertRun> {
  const opened = await deps.openMailer(`alerts-${data.date}`);
  try {
    return await runAlertPipeline(
      {
        ...deps,
        openChannel: storedChannels(deps.db, deps.secret),
        mail: opened
          ? { mailer: opened.mailer, from: { address: deps.config.smtp.from, name: deps.config.smtp.fromName } }
          : null,
        publicBaseUrl: deps.config.report.publicBaseUrl,
      },
      data,
      job,
    );
  } finally {
    await opened?.close();
  }
}
