/**
 * The operator's daily jobs on the scheduler's clock: the backup (`BACKUP_SCHEDULE`, then old backups pruned)
 * and housekeeping (`RETENTION_SCHEDULE`: old deliveries and articles purged), in `TZ`. Beat runs them (each
 * fire claimed once in Redis, so two beats never back up twice) and so does `finrep start` (embedded). A failed
 * job is logged and tried again at its next fire; it never stops the scheduler.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config/index.ts';
import type { Database, Db } from '../db/client.ts';
import type { Logger } from '../log.ts';

/** What the schedule needs: the scheduler's database, configuration, logger and clock. */
export interface OpsScheduleDeps {
  db: Db;
  config: Config;
  log: Logger;
  now?: () => Date;
  /** Whether this process runs the fire of `job` at `at` (beat: a Redis SET NX); always, when absent. */
  claim?: (job: OpsJobName, at: Date) => Promise<boolean>;
}

export type OpsJobName = 'backup' | 'retention';

/** The running schedule. */
export interface OpsSchedule {
  /** The next fire of each scheduled job (absent: turned off). */
  next: Partial<Record<OpsJobName, Date>>;
  stop(): Promise<void>;
}

/** The database as a backup sees it, from the scheduler's drizzle handle and the configuration. */
function databaseOf(db: Db, config: Config): Database {
  return {
    db,
    kind: config.databaseUrl ? 'postgres' : 'pglite',
    url: config.databaseUrl,
    close: async () => {},
  };
}

/** The job behind each name. */
const JOBS: Record<OpsJobName, (deps: OpsScheduleDeps) => Promise<unknown>> = {
  backup: async (deps) => {
    const { scheduledBackup } = await import('./backup.ts');
    return scheduledBackup({ ...deps, database: databaseOf(deps.db, deps.config) });
  },
  retention: async (deps) => {
    const { purgeOldData } = await import('./retention.ts');
    return purgeOldData(deps);
  },
};

/** Arms a timer per scheduled job; each fire runs its job once, then re-arms. */
export function startOpsSchedule(deps: OpsScheduleDeps): OpsSchedule {
  const { config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const timers = new Map<OpsJobName, NodeJS.Timeout>();
  const next: OpsSchedule['next'] = {};
  let stopped = false;
  const crons: [OpsJobName, string | null][] = [
    ['backup', config.ops.backupSchedule],
    ['retention', config.ops.retentionSchedule],
  ];
  const arm = (name: OpsJobName, cron: string) => {
    if (stopped) return;
    const at = CronExpressionParser.parse(cron, { tz: config.timeZone, currentDate: now() }).next().toDate();
    next[name] = at;
    // Long waits in steps (setTimeout holds at most ~24.8 days); the fire waits for its time.
    const wait = Math.min(Math.max(0, at.getTime() - now().getTime()), 6 * 3_600_000);
    const timer = setTimeout(() => {
      if (now().getTime() < at.getTime() - 5) return arm(name, cron);
      void fire(name, at).finally(() => arm(name, cron));
    }, wait + 5);
    timer.unref();
    timers.set(name, timer);
  };
  const fire = async (name: OpsJobName, at: Date) => {
    try {
      if (deps.claim && !(await deps.claim(name, at))) return;
      log.info({ job: name, due_at: at.toISOString() }, `${name}: starting`);
      await JOBS[name](deps);
    } catch (err) {
      log.error({ job: name, err: (err as Error).message }, `${name} failed; next try at its next scheduled time`);
    }
  };
  for (const [name, cron] of crons) if (cron) arm(name, cron);
  return {
    next,
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
    },
  };
}
