import type { Command } from 'commander';
import type { DeliveryStatus } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';
import type { DeliverSummary } from '../deliver/run.ts';
import { isIsoDate } from '../lib/time.ts';
import { CliError } from './errors.ts';
import { createContext, createMailer, openDb, signingSecret } from './context.ts';
import type { Context } from './context.ts';

const STATUSES: DeliveryStatus[] = ['queued', 'sending', 'sent', 'retrying', 'failed', 'uncertain'];
const list = (v: string | undefined) =>
  v
    ?.split(/[,，]/)
    .map((s) => s.trim())
    .filter(Boolean);

function edition(date: string): string {
  if (!isIsoDate(date)) throw new CliError(`--edition: expected YYYY-MM-DD, got "${date}"`);
  return date;
}

/** Sends an already composed edition (its stored files) to the recipients that do not have it yet. */
async function deliverStored(
  ctx: Context,
  db: Db,
  date: string,
  o: { groups?: string[]; concurrency?: number },
): Promise<DeliverSummary> {
  const [{ DeliverError }, { loadStoredEditionMail }, { runDeliver }] = await Promise.all([
    import('../deliver/mailer.ts'),
    import('../deliver/render.ts'),
    import('../deliver/run.ts'),
  ]);
  const mail = await loadStoredEditionMail(db, date).catch((e: unknown) => {
    throw e instanceof DeliverError ? new CliError(e.message) : e;
  });
  const { config } = ctx;
  const mailer = await createMailer(ctx, date, { concurrency: o.concurrency });
  try {
    return await runDeliver(
      {
        db,
        log: ctx.log,
        mailer,
        from: { address: config.smtp.from, name: config.smtp.fromName },
        ratePerSec: config.mail.ratePerSec,
        maxAttempts: config.mail.maxAttempts,
        redisUrl: config.redisUrl,
        secret: signingSecret(config),
        publicBaseUrl: config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`,
        webViewLinkDays: config.mail.webViewLinkDays,
        ...(o.concurrency !== undefined && { concurrency: o.concurrency }),
      },
      mail,
      { groups: o.groups ?? null },
    );
  } finally {
    await mailer.close();
  }
}

function report(summary: DeliverSummary, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stderr.write(
      `${summary.recipients} recipients: ${summary.sent} sent, ${summary.failed} failed, ${summary.skipped} skipped, ` +
        `${summary.uncertain} uncertain, ${summary.retrying} waiting${summary.error ? `\nerror: ${summary.error}` : ''}\n`,
    );
  if (summary.error) process.exitCode = 1;
}

/**
 * `finrep deliver --edition D` (send a composed edition; what a worker runs) and `finrep deliveries
 * list|resend|resolve` (the delivery log, an operator's resend of uncertain or failed messages, and the
 * resolution of uncertain ones that did arrive).
 */
export function registerDeliveries(program: Command): void {
  program
    .command('deliver')
    .description('send an already composed edition to the recipients that do not have it yet')
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .option('--groups <names>', 'only recipients in one of these groups (comma-separated)')
    .option('--concurrency <n>', 'messages in flight (SMTP connections)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the delivery summary as JSON')
    .option('-v, --verbose', 'log at LOG_LEVEL instead of warnings only')
    .action(
      async (flags: { edition: string; groups?: string; concurrency?: number; json?: boolean; verbose?: boolean }) => {
        const date = edition(flags.edition);
        if (flags.concurrency !== undefined && !(flags.concurrency >= 1 && flags.concurrency <= 50))
          throw new CliError('--concurrency: expected 1–50');
        const ctx = await createContext({ level: flags.verbose ? undefined : 'warn' });
        const database = await openDb(ctx);
        try {
          report(
            await deliverStored(ctx, database.db, date, { groups: list(flags.groups), concurrency: flags.concurrency }),
            flags.json,
          );
        } finally {
          await database.close();
        }
      },
    );

  const deliveries = program.command('deliveries').description('the delivery log of an edition; resend');

  deliveries
    .command('list')
    .description("an edition's delivery log")
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .option('--status <list>', `only these statuses (${STATUSES.join(',')})`)
    .option('--json', 'JSON output')
    .action(async (flags: { edition: string; status?: string; json?: boolean }) => {
      const date = edition(flags.edition);
      const statuses = list(flags.status);
      const unknown = statuses?.find((s) => !STATUSES.includes(s as DeliveryStatus));
      if (unknown) throw new CliError(`--status: unknown status "${unknown}" (${STATUSES.join(', ')})`);
      const ctx = await createContext({ level: 'warn' });
      const [database, { deliveriesQ }] = await Promise.all([openDb(ctx), import('../db/queries/index.ts')]);
      try {
        const ed = await deliveriesQ.findEditionByDate(database.db, date);
        if (!ed) throw new CliError(`no edition ${date}`);
        const rows = (await deliveriesQ.listDeliveries(database.db, ed.id)).filter(
          (r) => !statuses || statuses.includes(r.status),
        );
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(
              rows.map((r) => ({
                email: r.email,
                status: r.status,
                attempts: r.attempts,
                message_id: r.messageId,
                reply_code: r.replyCode,
                last_reply: r.lastReply,
                error: r.error,
                queued_at: r.queuedAt,
                sending_at: r.sendingAt,
                sent_at: r.sentAt,
                next_attempt_at: r.nextAttemptAt,
                resends: r.resends,
                history: r.history,
              })),
            )}\n`,
          );
          return;
        }
        for (const r of rows) {
          process.stdout.write(
            `${r.status.padEnd(9)} ${String(r.attempts).padStart(2)}×  ${r.email}  ${r.lastReply ?? r.error ?? ''}\n`,
          );
        }
      } finally {
        await database.close();
      }
    });

  deliveries
    .command('resolve')
    .description("mark an edition's uncertain deliveries as delivered (found in the mailbox or the provider's log)")
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .requiredOption('--recipient <emails>', 'these addresses (comma-separated)')
    .action(async (flags: { edition: string; recipient: string }) => {
      const date = edition(flags.edition);
      const emails = list(flags.recipient) ?? [];
      const ctx = await createContext({ level: 'warn' });
      const database = await openDb(ctx);
      try {
        const [{ DeliverError }, { markDelivered }, { userInfo }] = await Promise.all([
          import('../deliver/mailer.ts'),
          import('../deliver/resolve.ts'),
          import('node:os'),
        ]);
        const marked = await markDelivered(database.db, { date, emails, by: `cli:${userInfo().username}` }).catch(
          (e: unknown) => {
            throw e instanceof DeliverError ? new CliError(e.message) : e;
          },
        );
        if (marked.length === 0) throw new CliError(`no uncertain delivery of ${date} for ${emails.join(', ')}`);
        process.stderr.write(`marked delivered ${marked.length}: ${marked.join(', ')}\n`);
      } finally {
        await database.close();
      }
    });

  deliveries
    .command('resend')
    .description('re-queue uncertain or failed deliveries of an edition and send them again')
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .option('--recipient <emails>', 'only these addresses (comma-separated); default: every matching row')
    .option('--status <list>', 'which rows (default uncertain,failed)')
    .option('--force', 'also re-send messages that were delivered (status sent)')
    .option('--no-send', 're-queue only; a worker or the next `finrep deliver` sends them')
    .option('--json', 'print the delivery summary as JSON')
    .action(
      async (flags: {
        edition: string;
        recipient?: string;
        status?: string;
        force?: boolean;
        send: boolean;
        json?: boolean;
      }) => {
        const date = edition(flags.edition);
        const statuses = list(flags.status) as DeliveryStatus[] | undefined;
        const ctx = await createContext({ level: 'warn' });
        const database = await openDb(ctx);
        try {
          const [{ DeliverError }, { requeueForResend }] = await Promise.all([
            import('../deliver/mailer.ts'),
            import('../deliver/recipients.ts'),
          ]);
          const emails = list(flags.recipient);
          const requeued = await requeueForResend(database.db, {
            date,
            ...(emails && { emails }),
            ...(statuses && { statuses }),
            force: flags.force,
          }).catch((e: unknown) => {
            throw e instanceof DeliverError ? new CliError(e.message) : e;
          });
          if (requeued.length === 0)
            throw new CliError(
              `nothing to resend for ${date}${emails ? ` (${emails.join(', ')})` : ''}: no matching ${statuses?.join('/') ?? 'uncertain/failed'} row${flags.force ? '' : ' (a sent message needs --force)'}`,
            );
          process.stderr.write(`re-queued ${requeued.length}: ${requeued.join(', ')}\n`);
          if (flags.send) report(await deliverStored(ctx, database.db, date, {}), flags.json);
        } finally {
          await database.close();
        }
      },
    );
}
