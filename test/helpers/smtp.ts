import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerOptions } from 'smtp-server';

/** An SMTP reply the test server gives instead of accepting. */
export interface SmtpFailure {
  code: number;
  message: string;
}

/** Options of {@link startTestSmtp}. */
export interface TestSmtpOptions {
  /**
   * Decides, per recipient and attempt (1, 2, … for that address), whether to refuse it, and with which
   * reply. `null` accepts.
   */
  failFor?: (rcpt: string, attempt: number) => SmtpFailure | null;
  /** Where `failFor` replies: to RCPT TO, or after the message data was received. @defaultValue 'rcpt' */
  failAt?: 'rcpt' | 'data';
  /** Refuse MAIL FROM until the client authenticated. @defaultValue false */
  authRequired?: boolean;
  /** Accepted user names and passwords (PLAIN and LOGIN). @defaultValue {} */
  users?: Record<string, string>;
  /**
   * `implicit`: TLS from the first byte (like port 465); `starttls`: offers STARTTLS (like 587). Both use
   * smtp-server's built-in self-signed certificate, so clients need `rejectUnauthorized: false`.
   * @defaultValue 'none'
   */
  tls?: 'none' | 'implicit' | 'starttls';
  /**
   * Accept this many messages, then hold the reply to the next message's data forever (the message is
   * kept, as a server that queued it and then lost the connection would have) — to kill a sender "after k
   * messages" deterministically. Later messages are accepted again. @defaultValue no hold
   */
  holdAfter?: number;
  /** Close a client connection after this much inactivity (smtp-server's `socketTimeout`). @defaultValue 60000 */
  idleTimeoutMs?: number;
}

/** A message the test server accepted. */
export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  /** The user the client authenticated as, if it did. */
  user: string | null;
  /** Whether the session ran over TLS when the message was sent. */
  secure: boolean;
  raw: Buffer;
  /** When the data was complete (ms since the epoch). */
  at: number;
  /** The Message-ID header, with its angle brackets. */
  messageId: string | null;
  /** True for the message whose reply was held (see `holdAfter`). */
  held: boolean;
}

/** A running test SMTP server. */
export interface TestSmtp {
  host: string;
  port: number;
  messages: ReceivedMessage[];
  /** How many accepted messages were addressed to `addr` (case-insensitive). */
  countFor(addr: string): number;
  /** Every RCPT TO the server saw, accepted or not, in order. */
  rcptLog: string[];
  /** How many SMTP connections clients opened. */
  connections(): number;
  /** Resolves with the held message once the hold began (see `holdAfter`). */
  held: Promise<ReceivedMessage>;
  close(): Promise<void>;
}

function smtpError(failure: SmtpFailure): Error & { responseCode: number } {
  return Object.assign(new Error(failure.message), { responseCode: failure.code });
}

function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * Starts a real SMTP server on 127.0.0.1 (a free port) that keeps what it receives, for tests of the
 * mailers.
 *
 * @example
 * const smtp = await startTestSmtp({ failFor: (rcpt) => rcpt.startsWith('bad') ? { code: 550, message: 'No such user' } : null });
 * // … send to smtp.host:smtp.port …
 * expect(smtp.countFor('a@example.com')).toBe(1);
 * await smtp.close();
 */
export async function startTestSmtp(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const tlsMode = opts.tls ?? 'none';
  const users = opts.users ?? {};
  const failAt = opts.failAt ?? 'rcpt';
  const attempts = new Map<string, number>();
  const messages: ReceivedMessage[] = [];
  const rcptLog: string[] = [];
  let connections = 0;
  let onHeld: (m: ReceivedMessage) => void = () => {};
  const held = new Promise<ReceivedMessage>((resolve) => {
    onHeld = resolve;
  });
  let holdDone = false;

  const nextAttempt = (rcpt: string): number => {
    const n = (attempts.get(rcpt.toLowerCase()) ?? 0) + 1;
    attempts.set(rcpt.toLowerCase(), n);
    return n;
  };

  const options: SMTPServerOptions = {
    secure: tlsMode === 'implicit',
    disabledCommands: tlsMode === 'starttls' ? [] : ['STARTTLS'],
    authOptional: !opts.authRequired,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1000,
    ...(opts.idleTimeoutMs !== undefined && { socketTimeout: opts.idleTimeoutMs }),
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      const expected = auth.username === undefined ? undefined : users[auth.username];
      if (expected === undefined || expected !== auth.password) {
        callback(smtpError({ code: 535, message: 'Authentication credentials invalid' }));
        return;
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      rcptLog.push(address.address);
      if (failAt === 'rcpt' && opts.failFor) {
        const failure = opts.failFor(address.address, nextAttempt(address.address));
        if (failure) {
          callback(smtpError(failure));
          return;
        }
      }
      callback();
    },
    onData(stream, session, callback) {
      readAll(stream).then(
        (raw) => {
          const to = session.envelope.rcptTo.map((a) => a.address);
          if (failAt === 'data' && opts.failFor) {
            for (const rcpt of to) {
              const failure = opts.failFor(rcpt, nextAttempt(rcpt));
              if (failure) {
                callback(smtpError(failure));
                return;
              }
            }
          }
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          const user = typeof session.user === 'string' ? session.user : null;
          const header = raw.subarray(0, Math.max(0, raw.indexOf('\r\n\r\n'))).toString('latin1');
          const messageId = /^message-id:\s*(<[^>]+>)/im.exec(header)?.[1] ?? null;
          const hold = !holdDone && opts.holdAfter !== undefined && messages.length >= opts.holdAfter;
          const received: ReceivedMessage = {
            envelope: { from, to },
            user,
            secure: session.secure,
            raw,
            at: Date.now(),
            messageId,
            held: hold,
          };
          messages.push(received);
          if (hold) {
            holdDone = true;
            onHeld(received);
            return; // never answer: the client waits until it is killed or times out
          }
          callback();
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  };

  const server = new SMTPServer(options);
  server.on('error', () => {
    /* a client that drops the connection is not a test failure */
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    rcptLog,
    connections: () => connections,
    held,
    countFor: (addr) =>
      messages.filter((m) => m.envelope.to.some((t) => t.toLowerCase() === addr.toLowerCase())).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
