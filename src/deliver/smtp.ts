import nodemailer from 'nodemailer';
import type { SMTPPoolOptions } from 'nodemailer';
import type { Logger } from '../log.ts';
import type { Mailer, MailMessage, SendResult } from './mailer.ts';
import { toSendMailOptions } from './mime.ts';
import { redact, secretsOf, toMailError } from './smtp-errors.ts';

/** How to reach the SMTP server (from `SMTP_HOST|PORT|USER|PASS` and `MAIL_BATCH_LIMIT`). */
export interface SmtpMailerOptions {
  host: string;
  port: number;
  /** TLS from the first byte (SMTPS). Otherwise STARTTLS is used when the server offers it. @defaultValue port === 465 */
  secure?: boolean;
  /**
   * Fail instead of continuing in clear text when the server does not offer STARTTLS, so a password is
   * never sent unencrypted. @defaultValue true when not `secure`, `port` is 587 and `user` is set
   */
  requireTLS?: boolean;
  /** Log in when set (PLAIN or LOGIN, whichever the server offers). */
  user?: string;
  pass?: string;
  /** Keep the connection open between messages. @defaultValue true */
  pool?: boolean;
  /** Messages per connection before it is replaced (`MAIL_BATCH_LIMIT`); pooled mode only. @defaultValue 100 */
  maxMessages?: number;
  /** Time allowed to connect and to get the greeting. @defaultValue 15000 */
  connectionTimeoutMs?: number;
  /** Inactivity allowed on an open connection. @defaultValue 60000 */
  socketTimeoutMs?: number;
  /** The name sent in EHLO; some servers reject a container id. @defaultValue the machine's host name */
  clientName?: string;
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

/**
 * Sends through an SMTP server with nodemailer: one pooled connection (`maxConnections: 1`), replaced
 * after `maxMessages`. Nodemailer never re-sends on its own (`maxRequeues: 0`): retries belong to the
 * delivery loop, which records each attempt. Failures reject with a `MailError` whose message and reply
 * never contain the password.
 *
 * @example
 * const mailer = createSmtpMailer({ host: 'smtp.example.com', port: 465, user, pass, maxMessages: 50 }, { log });
 * await mailer.verify();
 * const { response } = await mailer.send(buildMessage({ … }));
 */
export function createSmtpMailer(opts: SmtpMailerOptions, deps: { log: Logger }): Mailer {
  const secure = opts.secure ?? opts.port === 465;
  const auth = opts.user !== undefined && opts.user !== '';
  const requireTLS = opts.requireTLS ?? (!secure && opts.port === 587 && auth);
  const pooled = opts.pool ?? true;
  const secrets = secretsOf(opts.user, opts.pass);
  const connectionTimeout = opts.connectionTimeoutMs ?? 15_000;
  const log = deps.log.child({ component: 'smtp', smtp_host: opts.host, smtp_port: opts.port });

  const base: SMTPPoolOptions = {
    host: opts.host,
    port: opts.port,
    secure,
    requireTLS,
    ...(auth && { auth: { user: opts.user, pass: opts.pass ?? '' } }),
    ...(opts.clientName !== undefined && { name: opts.clientName }),
    connectionTimeout,
    greetingTimeout: connectionTimeout,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    ...(opts.tls && { tls: { ...opts.tls } }),
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
  const transport = pooled
    ? nodemailer.createTransport({ ...base, pool: true, maxConnections: 1, maxMessages: opts.maxMessages ?? 100, maxRequeues: 0 })
    : nodemailer.createTransport(base);

  // An 'error' event without a listener would crash the process; the failed send rejects on its own.
  transport.on('error', (err: Error) => {
    log.warn({ err: { code: (err as { code?: unknown }).code, message: redact(err.message, secrets) } }, 'smtp transport error');
  });
  log.debug({ secure, require_tls: requireTLS, pooled, auth_user: auth ? opts.user : null }, 'smtp mailer created');

  let closed = false;
  return {
    kind: 'smtp',

    async send(msg: MailMessage): Promise<SendResult> {
      if (closed) throw toMailError(Object.assign(new Error('SMTP mailer is closed'), { code: 'ECONFIG' }));
      try {
        const info = await transport.sendMail(toSendMailOptions(msg));
        const wanted = msg.to.address.toLowerCase();
        const accepted = info.accepted.some((a) => String(a).toLowerCase() === wanted);
        return { messageId: msg.messageId, response: redact(String(info.response), secrets), accepted };
      } catch (err) {
        throw toMailError(err, secrets);
      }
    },

    async verify(): Promise<void> {
      try {
        await transport.verify();
        log.info({ secure, auth_user: auth ? opts.user : null }, 'smtp server verified');
      } catch (err) {
        throw toMailError(err, secrets);
      }
    },

    async close(): Promise<void> {
      closed = true;
      transport.close();
    },
  };
}
