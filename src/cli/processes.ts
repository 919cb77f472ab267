import type { Command } from 'commander';
import { QUEUES } from '../jobs/queue.ts';
import type { QueueName } from '../jobs/queue.ts';
import { CliError } from './errors.ts';
import { createContext, createMailer, openDb, signingSecret } from './context.ts';
import type { Context } from './context.ts';

/** Resolves on SIGTERM or SIGINT (the second one exits at once). */
function untilSignal(ctx: Context, name: string): Promise<string> {
  return new Promise((resolve) => {
    let received = false;
    const on = (sig: NodeJS.Signals) => {
      if (received) {
        ctx.log.warn({ signal: sig }, `${name}: second signal, exiting now`);
        process.exit(130);
      }
      received = true;
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** The /metrics listener on METRICS_PORT (worker, beat), or nothing when it is unset; a port taken is logged, not fatal. */
async function metricsListener(ctx: Context): Promise<() => Promise<void>> {
  const port = ctx.config.metrics.port;
  if (port === null) return async () => {};
  const { startMetricsServer } = await import('../ops/metrics-server.ts');
  const { token } = ctx.config.metrics;
  return startMetricsServer({ port, token, dataDir: ctx.config.dataDir, log: ctx.log }).then(
    (m) => m.close,
    (err: unknown) => {
      ctx.log.error({ port, err: (err as Error).message }, 'metrics: cannot listen on METRICS_PORT; running without');
      return async () => {};
    },
  );
}

/** Keeps a long-running command alive past main.ts's exit timer. */
function holdOpen(): () => void {
  const t = setInterval(() => {}, 1 << 30);
  return () => clearInterval(t);
}

const openMailerFor = (ctx: Context) => async (edition: string) => {
  const mailer = await createMailer(ctx, edition);
  return { mailer, close: () => mailer.close() };
};

/** `finrep worker`, `finrep beat`, `finrep start`: the long-running processes. */
export function registerProcesses(program: Command): void {
  program
    .command('worker')
    .description('run pipeline jobs from the Redis queue (REDIS_URL); start as many as you like, on any machine')
    .option(
      '--concurrency <n>',
      'jobs at once per stage queue in this process (default: WORKER_CONCURRENCY or the stage limits)',
    )
    .option('--queues <list>', `only these queues (comma-separated: ${QUEUES.join(', ')})`)
    .action(async (flags: { concurrency?: string; queues?: string }) => {
      const ctx = await createContext();
      if (!ctx.config.redisUrl)
        throw new CliError(
          'REDIS_URL is not set: workers take their jobs from Redis (without Redis, `finrep start` runs everything in one process)',
        );
      const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
      if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256))
        throw new CliError('--concurrency: expected an integer from 1 to 256');
      const queues = flags.queues
        ?.split(',')
        .map((q) => q.trim())
        .filter(Boolean) as QueueName[] | undefined;
      const unknown = queues?.filter((q) => !(QUEUES as readonly string[]).includes(q)) ?? [];
      if (unknown.length > 0)
        throw new CliError(`--queues: unknown queue ${unknown.join(', ')} (known: ${QUEUES.join(', ')})`);
      const release = holdOpen();
      const database = await openDb(ctx);
      const closeMetrics = await metricsListener(ctx);
      try {
        const { startWorker } = await import('../jobs/worker.ts');
        const worker = await startWorker(
          {
            db: database.db,
            config: ctx.config,
            log: ctx.log,
            secret: signingSecret(ctx.config),
            openMailer: openMailerFor(ctx),
          },
          { concurrency, queues },
        );
        const reason = await Promise.race([untilSignal(ctx, 'worker'), worker.stopped]);
        await worker.stop(reason === 'memory' ? 'memory' : 'signal');
      } finally {
        await closeMetrics();
        await database.close();
        release();
      }
    });

  program
    .command('beat')
    .description(
      'schedule the daily edition (SCHEDULE_CRON in TZ) on the Redis queue; catches up a missed one on start',
    )
    .action(async () => {
      const ctx = await createContext();
      if (!ctx.config.redisUrl)
        throw new CliError(
          'REDIS_URL is not set: beat schedules on Redis (without Redis, `finrep start` schedules in process)',
        );
      const release = holdOpen();
      const database = await openDb(ctx);
      const closeMetrics = await metricsListener(ctx);
      try {
        const { startBeat } = await import('../jobs/beat.ts');
        const beat = await startBeat({ db: database.db, config: ctx.config, log: ctx.log });
        if (beat.caughtUp) ctx.log.warn({ edition: beat.caughtUp }, 'beat: missed edition queued');
        await untilSignal(ctx, 'beat');
        await beat.stop();
      } finally {
        await closeMetrics();
        await database.close();
        release();
      }
    });

  program
    .command('start')
    .description(
      'the embedded all-in-one process: web server, scheduler and pipeline in this process (PGlite unless DATABASE_URL is set)',
    )
    .action(async () => {
      const ctx = await createContext();
      const release = holdOpen();
      const database = await openDb(ctx);
      try {
        const { startEmbedded } = await import('../jobs/embedded.ts');
        const app = await startEmbedded({
          db: database.db,
          config: ctx.config,
          log: ctx.log,
          secret: signingSecret(ctx.config),
          openMailer: openMailerFor(ctx),
        });
        const [{ startWeb }, { inProcessEditionStarter }] = await Promise.all([
          import('./web.ts'),
          import('../web/edition-starter.ts'),
        ]);
        // POST /api/v1/runs starts an edition on this process's queue, as the schedule does.
        const startEdition = inProcessEditionStarter({ db: database.db, config: ctx.config, queue: app.queue });
        const hooks = { startEdition, jobQueue: app.queue };
        // /admin/status shows this process's queue.
        const web = await startWeb(ctx, database, {}, hooks, { queueCounts: () => app.queue.counts() }).catch(
          async (err: unknown) => {
            await app.stop(0);
            throw err;
          },
        );
        ctx.log.info({ database: database.kind, web: web.url }, 'finrep started (embedded)');
        await untilSignal(ctx, 'start');
        await web.close();
        await app.stop(ctx.config.jobs.graceSec * 1000);
      } finally {
        await database.close();
        release();
      }
    });
}
