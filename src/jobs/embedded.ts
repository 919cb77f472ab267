import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { WORKER_ID, processResources, queueSettings } from '../pipeline/context.ts';
import type { OpenedMailer, PipelineContext } from '../pipeline/context.ts';
import { orchestrateEdition } from '../pipeline/edition.ts';
import type { EditionJob } from '../pipeline/edition.ts';
import { stageHandlers } from '../pipeline/jobs.ts';
import { startLocalScheduler } from './beat.ts';
import { editionJobHandler } from './edition-job.ts';
import { InProcessQueue } from './in-process.ts';
import type { JobHandle, JobQueue } from './queue.ts';

/** `finrep start`: the in-process queue with every handler, and the schedule. */
export async function startEmbedded(deps: {
  db: Db;
  config: Config;
  log: Logger;
  secret: string;
  openMailer: (edition: string) => Promise<OpenedMailer | null>;
  now?: () => Date;
}) {
  const { config, log } = deps;
  const resources = processResources(config, log);
  const ctx: PipelineContext = {
    db: deps.db,
    config,
    log,
    now: deps.now ?? (() => new Date()),
    secret: deps.secret,
    worker: WORKER_ID,
    composed: new Map(),
    browser: resources.browser,
    hostLimiter: resources.hostLimiter,
    tiers: resources.tiers,
    openMailer: deps.openMailer,
    queue: null as unknown as JobQueue,
  };
  const queue = new InProcessQueue(
    {
      ...stageHandlers(ctx),
      edition: (job) => editionJobHandler(ctx, job as JobHandle<EditionJob>, orchestrateEdition),
    },
    queueSettings(config, resources.tiers, 'in-process'),
    {
      onError: (q, id, err, final) =>
        log[final ? 'error' : 'warn'](
          { queue: q, job_id: id, err: err.message },
          final ? 'job failed' : 'job attempt failed; will retry',
        ),
    },
  );
  ctx.queue = queue;
  const scheduler = await startLocalScheduler({ db: deps.db, config, log, queue, now: deps.now });
  return {
    queue,
    caughtUp: scheduler.caughtUp,
    async stop(graceMs: number) {
      await scheduler.stop();
      await Promise.race([queue.close(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await resources.browser.close();
    },
  };
}
