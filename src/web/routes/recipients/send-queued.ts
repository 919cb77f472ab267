import type { DeliverJob, NewJob } from '../../../pipeline/queue.ts';
import type { WebDeps } from '../../deps.ts';

/** How re-queued rows go out: now, by a deliver job, or with the next `finrep deliver` (no job queue here). */
export type SendOutcome = 'queued' | 'waiting';

/**
 * Sends an edition's re-queued delivery rows after an operator's retry or resend, as `finrep deliveries
 * resend` does after `requeueForResend`: a `deliver` job on the embedded process's own queue (`deps.jobQueue`),
 * else on Redis for the workers. The job sends only the rows still due — the delivery log's leases keep it
 * exactly-once, so a second job for the same edition sends nothing twice. With no queue at all the rows wait.
 */
export async function sendQueued(deps: WebDeps, edition: { id: number; date: string }): Promise<SendOutcome> {
  const job: NewJob<DeliverJob> = {
    id: `resend-${edition.date}-${Date.now().toString(36)}`,
    data: { runId: 0, editionId: edition.id, date: edition.date, groups: null },
  };
  if (deps.jobQueue) {
    await deps.jobQueue.add('deliver', [job]);
    return 'queued';
  }
  if (!deps.config.redisUrl) return 'waiting';
  const { BullQueue, redisConnection } = await import('../../../jobs/bullmq.ts');
  const connection = redisConnection(deps.config.redisUrl);
  const queue = new BullQueue(connection);
  try {
    await queue.add('deliver', [job]);
    return 'queued';
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}
