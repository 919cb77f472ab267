/**
 * One alert run in this process (`finrep alerts run`, tests): the pipeline's jobs on an in-process queue,
 * like `finrep run` without Redis, for the next edition's window.
 */
import { InProcessQueue } from '../jobs/in-process.ts';
import { pipelineProcess, queueSettings } from '../jobs/process.ts';
import type { ProcessDeps } from '../jobs/process.ts';
import { runAlerts } from './job.ts';
import { nextEditionDate } from './run.ts';
import type { AlertRunSummary, SkippedAlertRun } from './run.ts';

/**
 * Runs collect → dedup → extract → rules once, now (or skips: another alert run is live).
 * @example const summary = await runAlertsNow({ db, config, log, secret, openMailer });
 */
export async function runAlertsNow(
  deps: ProcessDeps & { now?: () => Date; heartbeatMs?: number },
): Promise<AlertRunSummary | SkippedAlertRun> {
  const now = deps.now ?? (() => new Date());
  const proc = pipelineProcess({ ...deps, now });
  const settings = queueSettings(deps.config, proc.tiers, 'in-process');
  const queue = new InProcessQueue((q) => proc.handlers(q), settings, {
    onError: (q, id, err, final) =>
      deps.log[final ? 'error' : 'warn']({ queue: q, job_id: id, err: err.message }, 'alert run job failed'),
  });
  try {
    const date = nextEditionDate(deps.config, now());
    const alertDeps = {
      ...proc.editionDeps(queue),
      secret: deps.secret,
      openMailer: deps.openMailer,
      heartbeatMs: deps.heartbeatMs,
    };
    return await runAlerts(alertDeps, { date, trigger: 'alerts' });
  } finally {
    await queue.close();
    await proc.close();
  }
}
