import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { MailMessage } from '../deliver/index.ts';
import { CliError } from './errors.ts';
import { createContext } from './context.ts';

/** `finrep smtp-test --to ADDR`: sends one small message through the configured SMTP server and prints its reply. */
export function registerSmtpTest(program: Command): void {
  program
    .command('smtp-test')
    .description('send a test message through the configured SMTP server (SMTP_HOST …)')
    .requiredOption('--to <address>', 'recipient of the test message')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { to: string; json?: boolean }) => {
      const ctx = await createContext({ level: 'warn', database: false });
      const { smtp } = ctx.config;
      if (!smtp.host)
        throw new CliError(
          'SMTP_HOST is not set (mail goes to the outbox folder); set SMTP_HOST, SMTP_PORT, SMTP_USER and SMTP_PASS',
        );
      const [{ createSmtpMailer, MailError, newMessageId }, { checkAddress }] = await Promise.all([
        import('../deliver/index.ts'),
        import('../deliver/recipients-csv.ts'),
      ]);
      const to = checkAddress(flags.to);
      if ('reason' in to) throw new CliError(`--to: ${to.reason}: "${flags.to}"`);
      const mode = smtp.secure
        ? 'TLS'
        : smtp.port === 587 && smtp.user
          ? 'STARTTLS (required)'
          : 'STARTTLS when offered';
      const mailer = createSmtpMailer(
        {
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          pool: false,
          connectionTimeoutMs: 15_000,
          socketTimeoutMs: 30_000,
          ...(smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : {}),
          tls: { rejectUnauthorized: smtp.rejectUnauthorized },
        },
        { log: ctx.log },
      );
      const now = new Date();
      const msg: MailMessage = {
        to: { address: to.email, name: null },
        from: { address: smtp.from, name: smtp.fromName },
        subject: `finrep SMTP 测试邮件 · ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        text: `这是一封 finrep 的测试邮件：SMTP 配置可用。\nSent by finrep smtp-test from ${hostname()} via ${smtp.host}:${smtp.port} (${mode}).\n`,
        html: `<p>这是一封 finrep 的测试邮件：SMTP 配置可用。</p><p>Sent by <code>finrep smtp-test</code> via ${smtp.host}:${smtp.port} (${mode}).</p>`,
        attachments: [],
        headers: { 'X-Finrep-Test': 'smtp-test', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
        messageId: newMessageId('smtp-test', smtp.from.split('@')[1] ?? 'localhost'),
        date: now,
      };
      const started = Date.now();
      try {
        const res = await mailer.send(msg);
        const ms = Date.now() - started;
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ ok: true, to: to.email, from: smtp.from, host: smtp.host, port: smtp.port, mode, user: smtp.user, response: res.response, message_id: msg.messageId, ms })}\n`,
          );
        } else {
          process.stdout.write(`${res.response}\n`);
          process.stderr.write(
            `sent to ${to.email} from ${smtp.from} via ${smtp.host}:${smtp.port} (${mode}${smtp.user ? `, user ${smtp.user}` : ''}) in ${ms} ms, Message-ID ${msg.messageId}\n`,
          );
        }
      } catch (e) {
        // MailError messages never contain the password (see smtp-errors.ts).
        const detail =
          e instanceof MailError
            ? `${e.message}${e.code ? ` [${e.code}${e.originalCode ? `/${e.originalCode}` : ''}]` : ''}`
            : (e as Error).message;
        throw new CliError(`smtp-test: ${smtp.host}:${smtp.port}: ${detail}`);
      } finally {
        await mailer.close();
      }
    });
}
