import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { runsQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { prepareRun } from '../pipeline/edition.ts';
import type { EditionJob } from '../pipeline/edition.ts';
import { jobIds } from '../pipeline/jobs.ts';
import type { RunSummary } from '../pipeline/summary.ts';
import { BullQueue, redisConnection } from './bullmq.ts';
import { HEARTBEAT_PREFIX } from './worker.ts';

/**
 * `finrep run` with `REDIS_URL`: queues the edition for the workers, follows its run's events on the
 * terminal, and returns the summary the worker produced.
 */
export async function runEditionViaQueue(
  deps: { db: Db; config: Config; log: Logger; progress?: (line: string) => void },
  job: Omit<EditionJob, 'runId'>,
  opts: { pollMs?: number; noWorkerWarnMs?: number } = {},
): Promise<RunSummary> {
  const { db, config } = deps;
  const connection = redisConnection(config.redisUrl!, deps.log);
  const queue = new BullQueue(connection);
  try {
    const { runId } = await prepareRun(db, config, job.date, job.trigger ?? 'cli');
    const id = jobIds.edition(job.date, runId);
    await queue.add<EditionJob>('edition', [{ id, data: { ...job, runId } }]);
    deps.progress?.(`queued as job ${id} (run ${runId}); waiting for a worker`);
    const started = Date.now();
    let lastEvent = 0;
    let warned = false;
    for (;;) {
      for (const e of await runsQ.listRunEvents(db, runId, lastEvent).catch(() => [])) {
        lastEvent = e.id;
        if (e.kind !== 'progress') deps.progress?.(`${e.kind === 'error' ? '✘' : e.kind === 'end' ? '✔' : '·'} ${e.stage ? `${e.stage}: ` : ''}${e.message}`);
      }
      const [state] = await queue.states('edition', [id]);
      if (state?.status === 'completed') return state.result as RunSummary;
      if (state?.status === 'failed') throw new Error(`edition job ${id} failed: ${state.error ?? 'unknown error'}`);
      if (state?.status === 'missing') {
        // Redis lost the job (restarted without persistence): the run's record says whether it finished.
        const run = await runsQ.getRun(db, runId);
        if (run?.status === 'ok' || run?.status === 'partial') return run.summary as unknown as RunSummary;
        deps.progress?.(`job ${id} is no longer in Redis (restarted?): queued again; the run resumes where it was`);
        await queue.add<EditionJob>('edition', [{ id, data: { ...job, runId, startedBy: run?.worker ?? 'unknown' } }]);
      }
      if (!warned && Date.now() - started > (opts.noWorkerWarnMs ?? 10_000) && state?.status === 'pending') {
        const workers = await connection.keys(`${HEARTBEAT_PREFIX}*`);
        if (workers.length === 0) deps.progress?.('no worker is running on this Redis: start one with `finrep worker`');
        warned = true;
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
