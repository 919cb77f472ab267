import type { Db } from '../db/client.ts';
import { markUncertainSent } from '../db/queries/console-deliveries.ts';
import { deliveriesQ } from '../db/queries/index.ts';
import { DeliverError } from './mailer.ts';

/**
 * An operator's resolution of an edition's `uncertain` rows as delivered (the message is in the recipient's
 * mailbox or the provider's log, found by its Message-ID): they become `sent` and are never sent again. The
 * other resolution, sending again, is {@link requeueForResend} with `statuses: ['uncertain']`. Returns the
 * addresses marked; rows that are not `uncertain` (any more) are left as they are.
 *
 * @example
 * await markDelivered(db, { date: '2026-12-05', emails: ['a@example.com'], by: 'user:ops@example.com' });
 */
export async function markDelivered(db: Db, o: { date: string; emails?: string[]; by: string }): Promise<string[]> {
  const edition = await deliveriesQ.findEditionByDate(db, o.date);
  if (!edition) throw new DeliverError(`no edition ${o.date}`);
  return markUncertainSent(db, {
    editionId: edition.id,
    ...(o.emails && { emails: o.emails }),
    note: `marked delivered by ${o.by}`,
  });
}
