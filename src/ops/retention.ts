/**
 * Housekeeping (the seed's runbook): finished `delivery_log` rows older than `RETENTION_DELIVERY_DAYS` (90)
 * and articles older than `RETENTION_ARTICLE_DAYS` (180) are purged, in batches of short statements, keeping
 * whatever an edition or a story still needs (db/queries/housekeeping.ts says exactly what). Scheduled daily
 * (`RETENTION_SCHEDULE`) by beat or `finrep start`.
 */
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { housekeepingQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';

/** Rows purged by one housekeeping pass. */
export interface PurgeSummary {
  deliveries: number;
  articles: number;
  stories: number;
}

/** Deletes batch after batch until a batch comes back short; returns the total. */
async function inBatches(purge: (batch: number) => Promise<number>, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await purge(batch);
    total += n;
    if (n < batch) return total;
  }
}

/**
 * One housekeeping pass.
 * @example await purgeOldData({ db, config, log }); // { deliveries: 120, articles: 3400, stories: 2900 }
 */
export async function purgeOldData(
  deps: { db: Db; config: Config; log: Logger; now?: () => Date },
  opts: {
    /** Rows per statement: each batch commits on its own, so no lock is held long. @defaultValue 1000 */
    batch?: number;
  } = {},
): Promise<PurgeSummary> {
  const { db, config, log } = deps;
  const now = (deps.now ?? (() => new Date()))().getTime();
  const batch = opts.batch ?? 1000;
  const deliveryCutoff = new Date(now - config.ops.deliveryRetentionDays * 86_400_000);
  const articleCutoff = new Date(now - config.ops.articleRetentionDays * 86_400_000);
  const started = Date.now();
  const summary: PurgeSummary = {
    deliveries: await inBatches((n) => housekeepingQ.purgeDeliveriesBatch(db, deliveryCutoff, n), batch),
    articles: await inBatches((n) => housekeepingQ.purgeArticlesBatch(db, articleCutoff, n), batch),
    stories: await inBatches((n) => housekeepingQ.purgeEmptyStoriesBatch(db, articleCutoff, n), batch),
  };
  log.info(
    {
      ...summary,
      delivery_cutoff: deliveryCutoff.toISOString(),
      article_cutoff: articleCutoff.toISOString(),
      duration_ms: Date.now() - started,
    },
    'housekeeping: old rows purged',
  );
  return summary;
}
