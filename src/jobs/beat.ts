/**
 * `finrep beat`: the schedule. Under BullMQ it keeps one job scheduler in Redis (cron `SCHEDULE_CRON` in
 * `TZ`); the scheduler, not the beat process, fires — so two beats never fire twice, and a Redis that lost
 * its data (restarted without persistence) gets the scheduler back within a minute. On start, an edition
 * whose fire time passed while nothing was scheduling (within `SCHEDULE_CATCHUP_HOURS`) is caught up.
 * `startLocalScheduler` is the same for the embedded shape (`finrep start`). Both read the schedule again
 * (the admin may override `SCHEDULE_CRON` at run time) every `refreshMs`: a change applies within it.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config/index.ts';
import { effectiveConfig } from '../config/overrides.ts';
import type { Db } from '../db/client.ts';
import { editionsQ, runsQ } from '../db/queries/index.ts';
import { dateInZone } from '../lib/time.ts';
import type { Logger } from '../log.ts';
import { startOpsSchedule } from '../ops/backup-schedule.ts';
import type { EditionJob } from '../pipeline/queue.ts';
import { BullQueue, redisConnection } from './bullmq.ts';
import { SCHEDULED_TRIGGERS } from './edition-job.ts';
import type { JobQueue } from './queue.ts';

export const SCHEDULER_ID = 'daily-edition';
/** The intraday alert run's job scheduler (ALERT_CRON), on the edition queue with trigger `alerts`. */
export const ALERT_SCHEDULER_ID = 'intraday-alerts';
/** The operational alerts' check (OPS_ALERT_CRON), on the `ops` queue. */
export const OPS_ALERT_SCHEDULER_ID = 'ops-alerts';
export const BEAT_HEARTBEAT_KEY = 'finrep:heartbeat:beat';

/** The last fire time of `cron` at or before `now`, and the next after it. */
export function fireTimes(cron: string, timeZone: string, now: Date): { prev: Date; next: Date } {
  const it = CronExpressionParser.parse(cron, { tz: timeZone, currentDate: now });
  const next = it.next().toDate();
  const back = CronExpressionParser.parse(cron, { tz: timeZone, currentDate: new Date(now.getTime() + 1) });
  return { prev: back.prev().toDate(), next };
}

/**
 * The edition to catch up on start, if any: the last fire time within the grace window whose edition has
 * no scheduled run yet.
 */
export async function missedEdition(db: Db, config: Config, now: Date): Promise<{ date: string; dueAt: Date } | null> {
  const graceMs = config.jobs.catchupHours * 3_600_000;
  if (graceMs <= 0) return null;
  const { cron } = (await effectiveConfig(db, config)).report;
  const { prev } = fireTimes(cron, config.timeZone, now);
  if (now.getTime() - prev.getTime() > graceMs) return null;
  const date = dateInZone(prev, config.timeZone);
  const edition = await editionsQ.findEditionByDate(db, date);
  if (edition && (await runsQ.liveRunsOf(db, edition.id, SCHEDULED_TRIGGERS)).length > 0) return null;
  return { date, dueAt: prev };
}

/** Queues the catch-up of a missed edition (one job id per date: two beats starting together add one). */
async function catchUp(db: Db, config: Config, log: Logger, queue: JobQueue, now: Date): Promise<string | null> {
  const missed = await missedEdition(db, config, now);
  if (!missed) return null;
  log.warn({ edition: missed.date, due_at: missed.dueAt.toISOString() }, 'scheduled edition was missed: catching up');
  await queue.add<EditionJob>('edition', [
    { id: `catchup-${missed.date}`, data: { date: missed.date, trigger: 'catch-up' } },
  ]);
  return missed.date;
}

export interface RunningBeat {
  /** The edition date queued as a catch-up on start, if any. */
  caughtUp: string | null;
  stop(): Promise<void>;
}

/** BullMQ's beat: puts the job scheduler in place when missing or changed (checked every `refreshMs`), catches up, keeps a heartbeat. */
export async function startBeat(
  deps: { db: Db; config: Config; log: Logger; now?: () => Date },
  opts: { refreshMs?: number } = {},
): Promise<RunningBeat> {
  const { config, log } = deps;
  if (!config.redisUrl)
    throw new Error('REDIS_URL: required for `finrep beat` (without Redis, `finrep start` schedules in process)');
  const now = deps.now ?? (() => new Date());
  const connection = redisConnection(config.redisUrl, log);
  const queue = new BullQueue(connection);
  const heartbeat = (cron: string) =>
    connection.set(
      BEAT_HEARTBEAT_KEY,
      JSON.stringify({
        pid: process.pid,
        at: new Date().toISOString(),
        next: fireTimes(cron, config.timeZone, now()).next.toISOString(),
        cron,
        tz: config.timeZone,
      }),
      'PX',
      3 * (opts.refreshMs ?? 30_000),
    );
  const upsert = async (): Promise<string> => {
    const { cron } = (await effectiveConfig(deps.db, config)).report;
    // Only when missing (a Redis that lost its data) or configured differently: upserting an existing
    // scheduler replaces its pending job with the next fire from now, so a fire still waiting for a worker
    // (all workers down at 06:00) would be dropped.
    const current = await queue.queue('edition').getJobScheduler(SCHEDULER_ID);
    if (current?.pattern === cron && current.tz === config.timeZone) {
      await heartbeat(cron);
      return cron;
    }
    if (current) log.info({ cron, was: current.pattern }, 'beat: the schedule changed');
    await queue.queue('edition').upsertJobScheduler(
      SCHEDULER_ID,
      { pattern: cron, tz: config.timeZone },
      {
        name: 'edition',
        data: { trigger: 'schedule' } as unknown as EditionJob,
        opts: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 5000 },
          removeOnComplete: { age: 30 * 86_400 },
          removeOnFail: { age: 60 * 86_400 },
        },
      },
    );
    await heartbeat(cron);
    return cron;
  };
  const upsertAlerts = async () => {
    await alertScheduler(queue, config, log);
    await opsAlertScheduler(queue, config, log);
  };
  const cron = await upsert();
  await upsertAlerts();
  const { next } = fireTimes(cron, config.timeZone, now());
  log.info({ cron, tz: config.timeZone, next: next.toISOString() }, 'beat: edition scheduled');
  const caughtUp = await catchUp(deps.db, config, log, queue, now());
  // Backups and housekeeping (src/ops): each fire claimed once in Redis, so two beats never run it twice.
  const ops = startOpsSchedule({
    ...deps,
    claim: async (job, at) =>
      (await connection.set(`finrep:ops:${job}:${at.getTime()}`, String(process.pid), 'PX', 86_400_000, 'NX')) === 'OK',
  });
  const timer = setInterval(() => {
    upsert()
      .then(upsertAlerts)
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'beat: could not refresh the scheduler'));
  }, opts.refreshMs ?? 30_000);
  return {
    caughtUp,
    async stop() {
      clearInterval(timer);
      await ops.stop();
      await queue.close();
      connection.disconnect();
    },
  };
}

/** A repeating job kept by beat under a fixed id: its cron (null = removed), its queue and what it queues. */
interface CronJob {
  id: string;
  cron: string | null;
  queue: 'edition' | 'ops';
  name: string;
  data: unknown;
  opts: Record<string, unknown>;
  /** For the log: `intraday alerts`, `operational alerts`. */
  what: string;
}

/** Puts the job scheduler in place when missing or changed, and removes it when its cron is off. */
async function keepScheduler(queue: BullQueue, job: CronJob, tz: string, log: Logger): Promise<void> {
  const q = queue.queue(job.queue);
  const current = await q.getJobScheduler(job.id);
  if (!job.cron) {
    if (current) await q.removeJobScheduler(job.id);
    return;
  }
  if (current?.pattern === job.cron && current.tz === tz) return;
  await q.upsertJobScheduler(
    job.id,
    { pattern: job.cron, tz },
    { name: job.name, data: job.data as EditionJob, opts: job.opts },
  );
  log.info({ cron: job.cron, tz }, `beat: ${job.what} scheduled`);
}

/**
 * The alert run's job scheduler (ALERT_CRON). Its jobs carry no date (each is the next edition's when it
 * runs) and no run: a job left by a dead worker resumes.
 */
function alertScheduler(queue: BullQueue, config: Config, log: Logger): Promise<void> {
  return keepScheduler(
    queue,
    {
      id: ALERT_SCHEDULER_ID,
      cron: config.alerts.cron,
      queue: 'edition',
      name: 'edition',
      data: { trigger: 'alerts' },
      opts: {
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 86_400 },
        removeOnFail: { age: 7 * 86_400 },
      },
      what: 'intraday alerts',
    },
    config.timeZone,
    log,
  );
}

/**
 * The operational alerts' job scheduler (OPS_ALERT_CRON). Its jobs carry nothing: each check reads the
 * conditions as they stand when it runs.
 */
function opsAlertScheduler(queue: BullQueue, config: Config, log: Logger): Promise<void> {
  return keepScheduler(
    queue,
    {
      id: OPS_ALERT_SCHEDULER_ID,
      cron: config.opsAlerts.cron,
      queue: 'ops',
      name: 'ops',
      data: {},
      opts: { attempts: 2, removeOnComplete: { age: 3600, count: 100 }, removeOnFail: { age: 7 * 86_400 } },
      what: 'operational alerts',
    },
    config.timeZone,
    log,
  );
}

/**
 * An embedded cron: at each fire time of `cron` in `tz`, `fire(at)` queues the job on the in-process queue.
 * Returns the function that stops it.
 */
function startLocalCron(deps: {
  cron: string | null;
  tz: string;
  log: Logger;
  now: () => Date;
  what: string;
  fire: (at: Date) => Promise<unknown>;
}): () => void {
  const { cron, tz, log, now, what, fire } = deps;
  if (!cron) return () => {};
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const { next } = fireTimes(cron, tz, now());
    const wait = Math.min(Math.max(0, next.getTime() - now().getTime()), 6 * 3_600_000);
    timer = setTimeout(() => {
      if (now().getTime() >= next.getTime() - 5)
        fire(next).catch((err: unknown) =>
          log.error({ err: (err as Error).message }, `schedule: could not queue the ${what} job`),
        );
      arm();
    }, wait + 5);
    timer.unref();
  };
  arm();
  log.info({ cron, tz }, `${what} armed`);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** The embedded check of the operational alerts: OPS_ALERT_CRON queues one on the in-process `ops` queue. */
function startLocalOpsAlerts(deps: { config: Config; log: Logger; queue: JobQueue; now: () => Date }): () => void {
  const { config, queue } = deps;
  return startLocalCron({
    ...deps,
    cron: config.opsAlerts.cron,
    tz: config.timeZone,
    what: 'operational alerts',
    fire: (at) => queue.add('ops', [{ id: `ops-${at.getTime()}`, data: {} }]),
  });
}

/** The embedded alert schedule: ALERT_CRON fires an alert run on the in-process queue. */
function startLocalAlerts(deps: { config: Config; log: Logger; queue: JobQueue; now: () => Date }): () => void {
  const { config, queue } = deps;
  return startLocalCron({
    ...deps,
    cron: config.alerts.cron,
    tz: config.timeZone,
    what: 'intraday alerts',
    fire: (at) =>
      queue.add<EditionJob>('edition', [{ id: `alerts-${at.getTime()}`, data: { trigger: 'alerts' } as EditionJob }]),
  });
}

/**
 * The embedded scheduler: fires `SCHEDULE_CRON` (or its runtime override) on the in-process queue, with the
 * same catch-up. It wakes at the next fire time, or after `refreshMs` to read the schedule again.
 */
export async function startLocalScheduler(deps: {
  db: Db;
  config: Config;
  log: Logger;
  queue: JobQueue;
  now?: () => Date;
  /** How often the schedule is read again. @defaultValue 30 s */
  refreshMs?: number;
}): Promise<RunningBeat> {
  const { config, log, queue } = deps;
  const now = deps.now ?? (() => new Date());
  const refreshMs = deps.refreshMs ?? 30_000;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const fire = (at: Date) => {
    const date = dateInZone(at, config.timeZone);
    log.info({ edition: date }, 'schedule: starting the edition');
    queue
      .add<EditionJob>('edition', [{ id: `schedule-${date}-${at.getTime()}`, data: { date, trigger: 'schedule' } }])
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'schedule: could not queue the edition'));
  };
  const arm = (cron: string) => {
    if (stopped) return;
    const { next } = fireTimes(cron, config.timeZone, now());
    const wait = Math.min(Math.max(0, next.getTime() - now().getTime()), refreshMs);
    timer = setTimeout(() => void tick(cron, next), wait + 5);
    timer.unref();
  };
  const tick = async (armed: string, next: Date) => {
    let cron = armed;
    try {
      cron = (await effectiveConfig(deps.db, config)).report.cron;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'schedule: could not read the settings; keeping the schedule');
    }
    if (cron !== armed) log.info({ cron, was: armed }, 'schedule: the schedule changed');
    else if (now().getTime() >= next.getTime() - 5) fire(next);
    arm(cron);
  };
  const caughtUp = await catchUp(deps.db, config, log, queue, now());
  const { cron } = (await effectiveConfig(deps.db, config)).report;
  arm(cron);
  const ops = startOpsSchedule(deps);
  const stopAlerts = startLocalAlerts({ config, log, queue, now });
  const stopOpsAlerts = startLocalOpsAlerts({ config, log, queue, now });
  log.info(
    { cron, tz: config.timeZone, next: fireTimes(cron, config.timeZone, now()).next.toISOString() },
    'schedule armed',
  );
  return {
    caughtUp,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      stopAlerts();
      stopOpsAlerts();
      await ops.stop();
    },
  };
}
