import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPConnectionOptions, SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import type { Logger } from '../log.ts';
import type { Mailer, MailMessage, SendResult } from './mailer.ts';
import { compileMessageParts } from './mime.ts';
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
  /** Keep connections open between messages. @defaultValue true */
  pool?: boolean;
  /** Messages per connection before it is replaced (`MAIL_BATCH_LIMIT`); pooled mode only. @defaultValue 100 */
  maxMessages?: number;
  /** Connections open at once, i.e. messages in flight; pooled mode only. @defaultValue 1 */
  maxConnections?: number;
  /** Time allowed to connect and to get the greeting. @defaultValue 15000 */
  connectionTimeoutMs?: number;
  /** Inactivity allowed on an open connection (also the wait for the reply to the message). @defaultValue 60000 */
  socketTimeoutMs?: number;
  /** An idle pooled connection is closed after this long. @defaultValue 30000 */
  idleTimeoutMs?: number;
  /** The name sent in EHLO; some servers reject a container id. @defaultValue the machine's host name */
  clientName?: string;
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

/** How much of the message body is handed to the connection at a time. */
const BODY_SLICE_BYTES = 64 * 1024;

/** A pooled connection. `dead`: unusable (errored, or closed by the server); `closed`: we closed it. */
interface Conn {
  smtp: SMTPConnection;
  messages: number;
  dead: boolean;
  closed: boolean;
  idle: NodeJS.Timeout | null;
}

/** What a failed transaction knew: the error, and whether the message data had started to go out. */
interface Failure {
  err: unknown;
  dataStarted: boolean;
}

/** A counting semaphore: at most `n` holders. */
function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return {
    acquire: () =>
      new Promise<void>((resolve) => {
        if (free > 0) {
          free--;
          resolve();
        } else waiting.push(resolve);
      }),
    release: () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

/**
 * Sends through an SMTP server: up to `maxConnections` connections (nodemailer's `SMTPConnection`: TLS,
 * STARTTLS, AUTH), each replaced after `maxMessages` messages. The pool is ours, not nodemailer's, for two
 * reasons: it never re-sends on its own (retries belong to the delivery loop, which records each attempt),
 * and it knows whether the message data had gone out when a connection failed — then the outcome is
 * unknown and the error says so (`uncertain`), instead of being mistaken for "not sent". Failures reject
 * with a `MailError` whose message and reply never contain the password.
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
  const maxMessages = Math.max(1, opts.maxMessages ?? 100);
  const idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
  const secrets = secretsOf(opts.user, opts.pass);
  const connectionTimeout = opts.connectionTimeoutMs ?? 15_000;
  const log = deps.log.child({ component: 'smtp', smtp_host: opts.host, smtp_port: opts.port });
  const permits = semaphore(pooled ? Math.max(1, opts.maxConnections ?? 1) : Number.MAX_SAFE_INTEGER);
  const idle: Conn[] = [];
  let closed = false;

  const connectionOptions: SMTPConnectionOptions = {
    host: opts.host,
    port: opts.port,
    secure,
    requireTLS,
    ...(opts.clientName !== undefined && { name: opts.clientName }),
    connectionTimeout,
    greetingTimeout: connectionTimeout,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    ...(opts.tls && { tls: { ...opts.tls } }),
    logger: false,
    debug: false,
  };

  function discard(conn: Conn, polite = false): void {
    const wasDead = conn.dead;
    conn.dead = true;
    if (conn.idle) clearTimeout(conn.idle);
    conn.idle = null;
    const i = idle.indexOf(conn);
    if (i >= 0) idle.splice(i, 1);
    if (conn.closed) return;
    conn.closed = true;
    if (polite && !wasDead) conn.smtp.quit();
    else conn.smtp.close();
  }

  function connect(): Promise<Conn> {
    const smtp = new SMTPConnection(connectionOptions);
    const conn: Conn = { smtp, messages: 0, dead: false, closed: false, idle: null };
    return new Promise<Conn>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        discard(conn);
        reject(err);
      };
      // An 'error' without a listener would crash the process; a send in flight gets the error in its callback.
      smtp.on('error', (err: Error) => {
        conn.dead = true;
        if (!settled) fail(err);
        else
          log.debug(
            { err: { code: (err as { code?: unknown }).code, message: redact(err.message, secrets) } },
            'smtp connection error',
          );
      });
      smtp.once('end', () => {
        if (!settled)
          fail(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' }));
        conn.closed = true;
        discard(conn);
      });
      smtp.connect((err) => {
        if (err) return fail(err);
        if (!auth || !smtp.allowsAuth) {
          if (auth) log.warn('the server offers no AUTH; sending without logging in');
          settled = true;
          return resolve(conn);
        }
        smtp.login({ user: opts.user, pass: opts.pass ?? '' }, (loginErr) => {
          if (loginErr) return fail(loginErr);
          settled = true;
          resolve(conn);
        });
      });
    });
  }

  function transact(conn: Conn, msg: MailMessage, raw: Buffer[]): Promise<SMTPConnectionSendInfo> {
    // The body is only read once the server said 354 to DATA: readableDidRead tells whether it went out. It
    // goes out in slices of the pieces (views, no copies), so the dot-stuffing stream copies a slice at a
    // time rather than the whole message — the shared attachment parts are never copied per message.
    let piece = 0;
    let offset = 0;
    const body = new Readable({
      read() {
        const from = raw[piece];
        if (!from) return void this.push(null);
        const slice = from.subarray(offset, offset + BODY_SLICE_BYTES);
        offset += slice.length;
        if (offset >= from.length) {
          piece++;
          offset = 0;
        }
        this.push(slice);
      },
    });
    return new Promise((resolve, reject) => {
      conn.smtp.send({ from: msg.from.address, to: [msg.to.address] }, body, (err, info) => {
        conn.messages++;
        if (err || !info)
          reject({ err: err ?? new Error('no reply'), dataStarted: body.readableDidRead } satisfies Failure);
        else resolve(info);
      });
    });
  }

  /** Puts a connection back for the next message, or retires it after `maxMessages`. */
  function release(conn: Conn): void {
    if (conn.dead) return;
    if (closed || !pooled || conn.messages >= maxMessages) return discard(conn, true);
    idle.push(conn);
    conn.idle = setTimeout(() => discard(conn, true), idleTimeoutMs);
    conn.idle.unref();
  }

  function take(): Conn | null {
    const conn = idle.pop() ?? null;
    if (conn?.idle) clearTimeout(conn.idle);
    return conn;
  }

  /** The server refused this message but the session is fine: RSET and keep the connection. */
  function resetOrDiscard(conn: Conn, err: { code?: unknown; responseCode?: unknown }): void {
    if (conn.dead || (err.code !== 'EENVELOPE' && err.code !== 'EMESSAGE') || err.responseCode === 421)
      return discard(conn);
    conn.smtp.reset((resetErr) => (resetErr ? discard(conn) : release(conn)));
  }

  async function sendOn(msg: MailMessage, raw: Buffer[], allowFresh: boolean): Promise<SendResult> {
    let conn = take();
    const reused = conn !== null;
    try {
      conn ??= await connect();
    } catch (err) {
      throw toMailError(err, secrets);
    }
    try {
      const info = await transact(conn, msg, raw);
      release(conn);
      const wanted = msg.to.address.toLowerCase();
      return {
        messageId: msg.messageId,
        response: redact(String(info.response), secrets),
        accepted: info.accepted.some((a) => a.toLowerCase() === wanted),
      };
    } catch (failure) {
      const { err, dataStarted } = failure as Failure;
      const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; responseCode?: unknown };
      const network = e.responseCode === undefined;
      if (reused && allowFresh && network && !dataStarted) {
        // A pooled connection the server dropped while it sat idle: nothing went out, try a fresh one once.
        discard(conn);
        log.debug({ err: { code: e.code } }, 'pooled connection was closed by the server; reconnecting');
        return sendOn(msg, raw, false);
      }
      resetOrDiscard(conn, e);
      throw toMailError(err, secrets, { uncertain: dataStarted && network });
    }
  }

  log.debug({ secure, require_tls: requireTLS, pooled, auth_user: auth ? opts.user : null }, 'smtp mailer created');

  return {
    kind: 'smtp',

    async send(msg: MailMessage): Promise<SendResult> {
      if (closed) throw toMailError(Object.assign(new Error('SMTP mailer is closed'), { code: 'ECONFIG' }));
      const raw = await compileMessageParts(msg).catch((err: unknown) => {
        throw toMailError(
          Object.assign(new Error(`cannot build message: ${(err as Error).message}`), { code: 'EMESSAGE' }),
        );
      });
      await permits.acquire();
      try {
        return await sendOn(msg, raw, true);
      } finally {
        permits.release();
      }
    },

    async verify(): Promise<void> {
      let conn: Conn;
      try {
        conn = await connect();
      } catch (err) {
        throw toMailError(err, secrets);
      }
      discard(conn, true);
      log.info({ secure, auth_user: auth ? opts.user : null }, 'smtp server verified');
    },

    async close(): Promise<void> {
      closed = true;
      for (const conn of [...idle]) discard(conn, true);
    },
  };
}
