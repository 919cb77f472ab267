import type { Db } from '../db/client.ts';
import { deliveriesQ, recipientsQ } from '../db/queries/index.ts';
import type { DeliveryStatus } from '../db/schema/index.ts';
import { verifyUnsubscribe } from '../lib/tokens.ts';
import { DeliverError } from './mailer.ts';
import { parseRecipientsCsv } from './recipients-csv.ts';
import type { ParsedRecipients } from './recipients-csv.ts';

/** The outcome of an import: the file's findings plus what changed in the database. */
export interface ImportReport extends Omit<ParsedRecipients, 'recipients'> {
  /** Valid addresses in the file (after merging duplicates). */
  valid: number;
  created: number;
  updated: number;
  /** Addresses in the file that had unsubscribed: they stay unsubscribed. */
  unsubscribed: string[];
  /** Addresses in the file that are disabled: they stay disabled. */
  disabled: string[];
}

/**
 * Imports a recipients CSV: valid rows are inserted or merged (groups united, name replaced when given);
 * invalid ones are reported with their line numbers and skipped. Never re-enables or re-subscribes anyone.
 * Throws `RecipientsCsvError` for a file that is not a recipients CSV.
 *
 * @example
 * const report = await importRecipientsCsv(db, readFileSync('recipients.csv'));
 * // { encoding: 'gb18030', valid: 118, created: 100, updated: 18, invalid: [{ line: 7, … }], … }
 */
export async function importRecipientsCsv(
  db: Db,
  bytes: Buffer,
  opts: { dryRun?: boolean } = {},
): Promise<ImportReport> {
  const { recipients, ...parsed } = parseRecipientsCsv(bytes);
  const counts = opts.dryRun ? { created: 0, updated: 0 } : await recipientsQ.upsertRecipients(db, recipients);
  const emails = new Set(recipients.map((r) => r.email));
  const existing = (await recipientsQ.listRecipients(db)).filter((r) => emails.has(r.email));
  return {
    ...parsed,
    valid: recipients.length,
    ...counts,
    unsubscribed: existing.filter((r) => r.unsubscribedAt !== null).map((r) => r.email),
    disabled: existing.filter((r) => !r.enabled).map((r) => r.email),
  };
}

/** What applying an unsubscribe token did. */
export type UnsubscribeResult =
  { status: 'unsubscribed' | 'already'; recipientId: number; email: string } | { status: 'invalid' | 'unknown' };

/**
 * Applies a one-click unsubscribe token (from a List-Unsubscribe POST or the 退订 link): the recipient it
 * names stops receiving editions. Idempotent; a forged or stale token changes nothing.
 *
 * @example
 * const r = await applyUnsubscribe(db, token, secret); // { status: 'unsubscribed', recipientId: 3, email: 'a@example.com' }
 */
export async function applyUnsubscribe(db: Db, token: string, secret: string): Promise<UnsubscribeResult> {
  const who = verifyUnsubscribe(token.trim(), secret);
  if (!who) return { status: 'invalid' };
  const status = await recipientsQ.unsubscribeRecipient(db, who.recipientId, who.email);
  return status === 'unknown' ? { status } : { status, ...who };
}

/**
 * An operator's resend: puts an edition's rows (by default its `uncertain` and `failed` ones; `sent` too
 * with `force`) back into the queue; the next delivery run of that edition sends them. Returns the
 * re-queued addresses.
 */
export async function requeueForResend(
  db: Db,
  o: { date: string; emails?: string[]; statuses?: DeliveryStatus[]; force?: boolean },
): Promise<string[]> {
  const edition = await deliveriesQ.findEditionByDate(db, o.date);
  if (!edition) throw new DeliverError(`no edition ${o.date}`);
  const statuses = o.statuses ?? (o.force ? ['uncertain', 'failed', 'sent'] : ['uncertain', 'failed']);
  if (statuses.includes('sent') && !o.force) throw new DeliverError('re-sending a delivered message needs --force');
  return deliveriesQ.requeueDeliveries(db, { editionId: edition.id, statuses, ...(o.emails && { emails: o.emails }) });
}
