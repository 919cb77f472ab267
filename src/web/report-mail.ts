/**
 * The reports console's mail work: an edition's copy as an `.eml`, an editor's test copy of a draft (a real
 * send through the deliver code, to the editor only, never a row of `delivery_log`), and the deliver job that
 * sends what an operator re-queued — on the embedded process's queue, or on Redis for the workers.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EditionRow } from '../db/queries/editions.ts';
import type { Mailer, MailMessage, SendResult } from '../deliver/mailer.ts';
import type { ReportModel } from '../domain.ts';
import type { DeliverJob } from '../pipeline/queue.ts';
import type { WebDeps } from './deps.ts';

/** The model an editor sees: the composed one with the draft's edits applied (as approving would send it). */
export async function draftModel(edition: EditionRow): Promise<ReportModel> {
  const [{ loadReportModel }, { applyReviewEdits, normalizeEdits }] = await Promise.all([
    import('../report/stored-model.ts'),
    import('../report/review-edits.ts'),
  ]);
  const model = loadReportModel(edition.model!);
  return edition.status === 'review' ? applyReviewEdits(model, normalizeEdits(edition.reviewEdits)) : model;
}

/** SMTP when `SMTP_HOST` is set (one connection), else `.eml` files in the outbox under `<date>/<folder>`. */
async function openMailer(deps: WebDeps, date: string, folder: string): Promise<Mailer> {
  const { smtp } = deps.config;
  const { createOutboxMailer, createSmtpMailer } = await import('../deliver/index.ts');
  if (!smtp.host) return createOutboxMailer(path.join(deps.config.dataDir, 'outbox', date, folder), { log: deps.log });
  return createSmtpMailer(
    {
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      pool: false,
      ...(smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : {}),
      tls: { rejectUnauthorized: smtp.rejectUnauthorized },
    },
    { log: deps.log },
  );
}

/** The generic copy of `model` (no greeting, no unsubscribe link) addressed to `to`, drawn into `dir`. */
async function copyOf(deps: WebDeps, model: ReportModel, dir: string, to: string, test: boolean): Promise<MailMessage> {
  const [{ writeReportFiles }, { renderFromModel }, { buildMessage }] = await Promise.all([
    import('../report/build.ts'),
    import('../deliver/render.ts'),
    import('../deliver/message.ts'),
  ]);
  const files = await writeReportFiles(model, dir, { charts: { log: deps.log } });
  const part = await renderFromModel(files.model)({ recipientName: null, unsubscribeUrl: null });
  const { smtp } = deps.config;
  const msg = buildMessage({
    edition: model.edition,
    to: { address: to, name: null },
    from: { address: smtp.from, name: smtp.fromName },
    subject: test ? `[测试 TEST] ${files.subject}` : files.subject,
    ...part,
    xlsx: await readFile(files.xlsx),
    xlsxName: files.xlsxName,
    unsubscribeUrl: null,
    inlineImages: files.inlineImages,
    messageIdDomain: smtp.from.split('@')[1] ?? 'localhost',
  });
  if (test) msg.headers['X-Finrep-Test'] = 'review';
  return msg;
}

/** Sends the draft as it stands to the editor alone (their own address): what approving would send. */
export async function sendTestCopy(deps: WebDeps, edition: EditionRow, to: string): Promise<SendResult> {
  const dir = path.join(deps.config.dataDir, 'reports', edition.date, 'test-copy');
  const msg = await copyOf(deps, await draftModel(edition), dir, to, true);
  const mailer = await openMailer(deps, edition.date, 'test-copies');
  try {
    return await mailer.send(msg);
  } finally {
    await mailer.close();
  }
}

/** The edition's generic copy as an RFC 822 message (`.eml`), addressed to whoever downloads it. */
export async function editionEml(deps: WebDeps, edition: EditionRow, to: string): Promise<Buffer> {
  const [{ loadReportModel }, { compileMessage }] = await Promise.all([
    import('../report/stored-model.ts'),
    import('../deliver/mime.ts'),
  ]);
  const dir = path.join(deps.config.dataDir, 'reports', edition.date, 'eml-copy');
  return compileMessage(await copyOf(deps, loadReportModel(edition.model!), dir, to, false));
}

/** The edition's workbook: the composed file, or drawn again from the stored model when it is not here. */
export async function editionXlsx(edition: EditionRow): Promise<Buffer> {
  if (edition.xlsxPath) {
    try {
      return await readFile(edition.xlsxPath);
    } catch {
      // composed on another machine, or cleaned up: the stored model draws the same workbook
    }
  }
  const [{ buildWorkbook }, { loadReportModel }] = await Promise.all([
    import('../report/index.ts'),
    import('../report/stored-model.ts'),
  ]);
  return Buffer.from(await buildWorkbook(loadReportModel(edition.model!)));
}

/**
 * Sends what was re-queued: a `deliver` job on the embedded process's queue, or on Redis for the workers
 * (the delivery log's leases keep it exactly-once beside any other sender). `none`: no queue to put it on —
 * the rows wait for `finrep deliver --edition <date>`.
 */
export async function queueDelivery(
  deps: WebDeps,
  job: { editionId: number; date: string; groups: string[] | null },
): Promise<'queued' | 'none'> {
  const data: DeliverJob = { runId: 0, ...job };
  const id = `resend-${job.date}-${Date.now().toString(36)}`;
  if (deps.jobQueue) {
    await deps.jobQueue.add('deliver', [{ id, data }]);
    return 'queued';
  }
  if (!deps.config.redisUrl) return 'none';
  const { BullQueue, redisConnection } = await import('../jobs/bullmq.ts');
  const connection = redisConnection(deps.config.redisUrl);
  const queue = new BullQueue(connection);
  try {
    await queue.add('deliver', [{ id, data }]);
    return 'queued';
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}
