import type { Db } from '../db/client.ts';
import { deliveriesQ, recipientsQ } from '../db/queries/index.ts';
import type { DeliveryRow } from '../db/queries/deliveries.ts';
import type { RecipientRow } from '../db/queries/recipients.ts';
import type { ReportModel } from '../domain.ts';
import { signUnsubscribe } from '../lib/tokens.ts';
import type { Logger } from '../log.ts';
import { renderEmailHtml, renderEmailText } from '../report/index.ts';
import { MailError } from './mailer.ts';
import type { Mailer, MailMessage } from './mailer.ts';
import { buildMessage, newMessageId } from './message.ts';

/** What the deliver stage did, in the run summary's shape (DESIGN §6). */
export interface DeliverSummary {
  recipients: number;
  sent: number;
  failed: number;
  /** Recipients not sent to in this run because their row was already sent, uncertain or failed. */
  skipped: number;
  uncertain: number;
  retrying: number;
  /** Set when sending stopped because the transport kept failing. */
  error: string | null;
}

export interface DeliverDeps {
  db: Db;
  log: Logger;
  mailer: Mailer;
  from: { address: string; name: string };
  /** Global rate; ignored by the outbox. */
  ratePerSec: number;
  maxAttempts: number;
  /** Stop after this many consecutive transport-level failures. @defaultValue 5 */
  maxConsecutiveFailures?: number;
  /** Secret that signs unsubscribe links. */
  secret: string;
  publicBaseUrl: string;
  sleep?: (ms: number) => Promise<void>;
  /** First retry delay; doubles per attempt. @defaultValue 2000 */
  retryBaseMs?: number;
}

/** The edition as mailed: the model plus the rendered subject and workbook. */
export interface EditionMail { editionId: number; edition: string; model: ReportModel; subject: string; xlsx: Buffer; xlsxName: string }

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends the edition to every active recipient that has no sent, uncertain or failed row for it.
 * Each attempt is recorded before it starts (`sending`, with its Message-ID) and after it ends; a row left
 * in `sending` by a crash becomes `uncertain` and is never sent again automatically.
 */
export async function runDeliver(deps: DeliverDeps, mail: EditionMail): Promise<DeliverSummary> {
  const { db, log } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  const interrupted = await deliveriesQ.markInterruptedUncertain(db, mail.editionId);
  if (interrupted > 0) log.warn({ edition: mail.edition, rows: interrupted }, 'deliveries interrupted by a crash marked uncertain (not re-sent)');
  const recipients = await recipientsQ.listActiveRecipients(db);
  await deliveriesQ.queueDeliveries(db, mail.editionId, recipients.map((r) => ({ recipientId: r.id, email: r.email })));
  const pending = await deliveriesQ.listPendingDeliveries(db, mail.editionId);
  const byId = new Map(recipients.map((r) => [r.id, r]));
  const queue = pending.filter((row) => byId.has(row.recipientId)).map((row) => ({ row, notBefore: 0 }));
  const summary: DeliverSummary = { recipients: recipients.length, sent: 0, failed: 0, skipped: recipients.length - queue.length, uncertain: 0, retrying: 0, error: null };

  const interval = deps.mailer.kind === 'smtp' ? 1000 / deps.ratePerSec : 0;
  const maxConsecutive = deps.maxConsecutiveFailures ?? 5;
  let nextSlot = 0;
  let consecutive = 0;
  while (queue.length > 0) {
    queue.sort((a, b) => a.notBefore - b.notBefore);
    const item = queue.shift()!;
    const wait = Math.max(item.notBefore, nextSlot) - Date.now();
    if (wait > 0) await sleep(wait);
    nextSlot = Date.now() + interval;
    const recipient = byId.get(item.row.recipientId)!;
    const outcome = await attempt(deps, mail, item.row, recipient);
    if (outcome.kind === 'sent') { summary.sent++; consecutive = 0; continue; }
    if (outcome.kind === 'skipped') continue;
    consecutive = outcome.transport ? consecutive + 1 : 0;
    if (outcome.kind === 'failed') summary.failed++;
    else queue.push({ row: { ...item.row, attempts: item.row.attempts + 1 }, notBefore: Date.now() + (deps.retryBaseMs ?? 2000) * 2 ** item.row.attempts });
    if (consecutive >= maxConsecutive) {
      summary.error = `sending stopped after ${consecutive} consecutive transport failures: ${outcome.error}`;
      log.error({ edition: mail.edition, consecutive, err: outcome.error }, 'mail transport keeps failing; sending stopped');
      break;
    }
  }
  const counts = await deliveriesQ.deliveryCounts(db, mail.editionId);
  summary.uncertain = counts.uncertain;
  summary.retrying = counts.retrying + counts.queued;
  return summary;
}

type Outcome = { kind: 'sent' } | { kind: 'skipped' } | { kind: 'failed' | 'retrying'; transport: boolean; error: string };

async function attempt(deps: DeliverDeps, mail: EditionMail, row: DeliveryRow, r: RecipientRow): Promise<Outcome> {
  const unsubscribeUrl = `${deps.publicBaseUrl.replace(/\/$/, '')}/unsubscribe?t=${signUnsubscribe(r.id, r.email, deps.secret)}`;
  const p = { recipientName: r.name, unsubscribeUrl };
  const domain = deps.from.address.split('@')[1] ?? 'localhost';
  let msg: MailMessage;
  try {
    msg = buildMessage({
      edition: mail.edition, to: { address: r.email, name: r.name }, from: deps.from, subject: mail.subject,
      html: await renderEmailHtml(mail.model, p), text: renderEmailText(mail.model, p), xlsx: mail.xlsx, xlsxName: mail.xlsxName,
      unsubscribeUrl, messageIdDomain: domain,
    });
  } catch (err) {
    // A message that cannot be built (a malformed address) fails this recipient only.
    const error = (err as Error).message;
    if (await deliveriesQ.claimDelivery(deps.db, row.id, newMessageId(mail.edition, domain), deps.mailer.kind)) {
      await deliveriesQ.finishDelivery(deps.db, row.id, 'failed', { reply: null, error });
    }
    deps.log.warn({ edition: mail.edition, delivery_id: row.id, to: r.email, err }, 'message could not be built');
    return { kind: 'failed', transport: false, error };
  }
  const messageId = msg.messageId;
  if (!(await deliveriesQ.claimDelivery(deps.db, row.id, messageId, deps.mailer.kind))) return { kind: 'skipped' };
  try {
    const res = await deps.mailer.send({ ...msg, messageId });
    await deliveriesQ.finishDelivery(deps.db, row.id, 'sent', { reply: res.response, error: null });
    deps.log.info({ edition: mail.edition, delivery_id: row.id, to: r.email, message_id: messageId }, 'mail sent');
    return { kind: 'sent' };
  } catch (err) {
    const e = err instanceof MailError ? err : new MailError((err as Error).message, { code: 'EUNKNOWN', permanent: false, scope: 'mailer', cause: err });
    const attempts = row.attempts + 1;
    const final = e.permanent || attempts >= deps.maxAttempts;
    await deliveriesQ.finishDelivery(deps.db, row.id, final ? 'failed' : 'retrying', { reply: e.response ?? null, error: e.message });
    deps.log.warn({ edition: mail.edition, delivery_id: row.id, to: r.email, attempts, permanent: e.permanent, err: e.toJSON() }, final ? 'mail failed' : 'mail will be retried');
    return { kind: final ? 'failed' : 'retrying', transport: e.scope === 'mailer', error: e.message };
  }
}
