import { deliveriesQ, editionsQ } from '../../db/queries/index.ts';
import { jobIds } from '../queue.ts';
import type { DeliverJob, DeliverJobResult, NewJob } from '../queue.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import { awaitJobs } from '../wait.ts';
import { eventText } from '../event-texts.ts';
import type { CodedText } from '../../lib/coded-text.ts';

/** How the edition's mail went; `transport` null when the deliver job failed. */
export type Delivered = Omit<DeliverJobResult, 'transport'> & { transport: DeliverJobResult['transport'] | null };

/**
 * Hands the mail to a deliver job (any worker; the delivery log's leases make it exactly-once) and waits for
 * it, however long sending takes: the deadline guards collection and extraction, not mail already composed.
 * A dry run sends nothing.
 */
export async function deliverPhase(deps: EditionDeps, run: EditionRun): Promise<Delivered | null> {
  if (run.data.dryRun) return null;
  const delivered = await run.stages.run(
    'deliver',
    async (): Promise<Delivered> => {
      await editionsQ.setEditionStatus(deps.db, run.editionId, 'delivering');
      const job = deliverJob(run);
      await deps.queue.add('deliver', [job]);
      const sets = [{ queue: 'deliver' as const, ids: [job.id], remake: () => job, stage: 'deliver' }];
      const [state] = (await awaitJobs(deps, run, sets, { deadline: false }))!;
      if (state!.status === 'completed') return state!.result as DeliverJobResult;
      return deliverFailed(deps, run, state!.error ?? 'the deliver job failed');
    },
    (d) =>
      eventText('deliver.done', {
        sent: d.sent,
        failed: d.failed,
        skipped: d.skipped,
        error: d.error ? eventText('deliver.error', { error: d.error }) : '',
        channels: channelsLine(d.channels),
      }),
  );
  return delivered;
}

/** `; channels 2 sent, 0 failed, 1 uncertain, 0 skipped` — nothing when no channel is routed to the edition. */
function channelsLine(c: DeliverJobResult['channels']): CodedText | '' {
  if (!c || (c.channels === 0 && !c.error)) return '';
  const { sent, failed, uncertain, skipped } = c;
  const error = c.error ? eventText('deliver.error', { error: c.error }) : '';
  return eventText('deliver.channels', { sent, failed, uncertain, skipped, error });
}

function deliverJob(run: EditionRun): NewJob<DeliverJob> {
  const { runId, editionId, data } = run;
  return { id: jobIds.deliver(runId), data: { runId, editionId, date: data.date, groups: data.groups ?? null } };
}

/** The deliver job failed for good: the delivery log says how far it got. */
async function deliverFailed(deps: EditionDeps, run: EditionRun, error: string): Promise<Delivered> {
  const counts = await deliveriesQ.deliveryCounts(deps.db, run.editionId, run.data.groups ?? null, {
    activeOnly: true,
  });
  return {
    recipients: Object.values(counts).reduce((a, b) => a + b, 0),
    sent: 0,
    failed: counts.failed,
    skipped: 0,
    uncertain: counts.uncertain,
    retrying: counts.queued + counts.retrying,
    error,
    transport: null,
  };
}
