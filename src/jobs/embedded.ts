/**
 * The embedded shape: the pipeline's jobs on the in-process queue. `runEdition` runs one edition now
 * (`finrep run` without Redis); `startEmbedded` is `finrep start` — every handler and the schedule.
 */
import type { Logger } from '../log.ts';
import type { Mailer } from '../deliver/mailer.ts';
import { orchestrateEdition } from '../pipeline/edition.ts';
import type { RunSummary } from '../pipeline/summary.ts';
import { InProcessQueue } from './in-process.ts';
import { pipelineProcess, queueSettings } from './process.ts';
import type { ProcessDeps } from './process.ts';
import type { QueueName } from './queue.ts';

/** What one edition in this process needs: the mail transport itself (null: a dry run), not an opener. */
export type RunEditionDeps = Omit<ProcessDeps, 'openMailer' | 'now'> & { now: () => Date; mailer: Mailer | null };

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

const logFailures = (log: Logger) => ({
  onError: (queue: QueueName, id: string, err: Error, final: boolean) =>
    log[final ? 'error' : 'warn'](
      { queue, job_id: id, err: err.message },
      final ? 'job failed' : 'job attempt failed; will retry',
    ),
});

/** One whole edition in this process (the embedded shape): the stage jobs run on an in-process queue. */
export async function runEdition(deps: RunEditionDeps, opts: EditionOptions): Promise<RunSummary> {
  const { mailer } = deps;
  const proc = pipelineProcess({
    ...deps,
    openMailer: async () => (mailer ? { mailer, close: async () => {} } : null),
  });
  const settings = queueSettings(deps.config, proc.tiers, 'in-process');
  const queue = new InProcessQueue((q) => proc.handlers(q), settings, logFailures(deps.log));
  try {
    return await orchestrateEdition(proc.editionDeps(queue), {
      date: opts.date,
      dryRun: opts.dryRun,
      trigger: opts.trigger,
      sourceKeys: opts.sourceKeys ?? null,
      groups: opts.groups ?? null,
      ...(opts.deadline !== undefined && { deadline: opts.deadline?.toISOString() ?? null }),
    });
  } finally {
    await queue.close();
    await proc.close();
  }
}

/** `finrep start`: the in-process queue with every handler, and the schedule. */
export async function startEmbedded(deps: ProcessDeps) {
  const { config, log } = deps;
  const proc = pipelineProcess(deps);
  const settings = queueSettings(config, proc.tiers, 'in-process');
  const queue = new InProcessQueue((q) => proc.handlers(q), settings, logFailures(log));
  // Loaded here: beat.ts brings BullMQ along, which `finrep run` in process never needs.
  const { startLocalScheduler } = await import('./beat.ts');
  const scheduler = await startLocalScheduler({ db: deps.db, config, log, queue, now: deps.now });
  return {
    queue,
    caughtUp: scheduler.caughtUp,
    async stop(graceMs: number) {
      await scheduler.stop();
      await Promise.race([queue.close(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await proc.close();
    },
  };
}
