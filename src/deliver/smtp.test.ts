import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSmtp } from '../../test/helpers/smtp.ts';
import type { TestSmtp, TestSmtpOptions } from '../../test/helpers/smtp.ts';
import { silentLogger } from '../log.ts';
import { MailError } from './mailer.ts';
import type { Mailer } from './mailer.ts';
import { buildMessage, XLSX_CONTENT_TYPE } from './message.ts';
import { createSmtpMailer } from './smtp.ts';
import type { SmtpMailerOptions } from './smtp.ts';

const log = silentLogger();
const XLSX = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0xff, 0xfe, 0x00, 0x80]);
const SUBJECT = '金融情报日报｜2025-11-10';
const XLSX_NAME = '金融情报日报-2025-11-10.xlsx';

function message(to = 'li.si@example.com', opts: { unsubscribe?: boolean } = {}) {
  return buildMessage({
    edition: '2025-11-10',
    to: { address: to, name: '李四' },
    from: { address: 'report@finrep.example.com', name: '金融情报日报' },
    subject: SUBJECT,
    html: '<h1>今日要闻</h1><p>央行开展 MLF 操作，净投放 3000 亿元。</p>',
    text: '今日要闻\n央行开展 MLF 操作，净投放 3000 亿元。',
    xlsx: XLSX,
    xlsxName: XLSX_NAME,
    unsubscribeUrl: opts.unsubscribe === false ? null : 'https://finrep.example.com/unsubscribe?t=abc123',
    unsubscribeMailto: 'unsubscribe@finrep.example.com',
    messageIdDomain: 'finrep.example.com',
  });
}

/** A header as written on the wire, unfolded (mailparser turns List-* headers into objects). */
function rawHeader(parsed: ParsedMail, name: string): string | undefined {
  const line = parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line
    ?.slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function sendError(p: Promise<unknown>): Promise<MailError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailError);
  return err as MailError;
}

let servers: TestSmtp[] = [];
let mailers: Mailer[] = [];
async function setup(serverOpts: TestSmtpOptions = {}, mailerOpts: Partial<SmtpMailerOptions> = {}) {
  const smtp = await startTestSmtp(serverOpts);
  servers.push(smtp);
  const mailer = createSmtpMailer(
    { host: smtp.host, port: smtp.port, connectionTimeoutMs: 5000, ...mailerOpts },
    { log },
  );
  mailers.push(mailer);
  return { smtp, mailer };
}

afterEach(async () => {
  await Promise.all(mailers.map((m) => m.close()));
  await Promise.all(servers.map((s) => s.close()));
  mailers = [];
  servers = [];
});

describe('createSmtpMailer', () => {
  it('delivers a Chinese message with its attachment and headers intact', async () => {
    const { smtp, mailer } = await setup();
    const msg = message();
    const result = await mailer.send(msg);

    expect(result).toMatchObject({ messageId: msg.messageId, accepted: true });
    expect(result.response).toMatch(/^250 /);
    expect(smtp.messages).toHaveLength(1);
    const received = smtp.messages[0]!;
    expect(received.envelope).toEqual({ from: 'report@finrep.example.com', to: ['li.si@example.com'] });

    const parsed = await simpleParser(received.raw);
    expect(parsed.subject).toBe(SUBJECT);
    expect(parsed.messageId).toBe(msg.messageId);
    expect(parsed.from?.value).toEqual([{ address: 'report@finrep.example.com', name: '金融情报日报' }]);
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value).toEqual([{ address: 'li.si@example.com', name: '李四' }]);
    expect(parsed.text?.trim()).toBe(msg.text);
    expect(parsed.html).toContain('央行开展 MLF 操作');
    expect(parsed.attachments).toHaveLength(1);
    const [att] = parsed.attachments;
    expect(att?.filename).toBe(XLSX_NAME);
    expect(att?.contentType).toBe(XLSX_CONTENT_TYPE);
    expect(Buffer.compare(att!.content, XLSX)).toBe(0);
    expect(rawHeader(parsed, 'List-Unsubscribe')).toBe(
      '<https://finrep.example.com/unsubscribe?t=abc123>, <mailto:unsubscribe@finrep.example.com>',
    );
    expect(rawHeader(parsed, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(parsed.headers.get('x-finrep-edition')).toBe('2025-11-10');
    expect(parsed.date?.getTime()).toBe(Math.floor(msg.date.getTime() / 1000) * 1000);
  });

  it('sends a large shared workbook whole to every recipient, in slices', async () => {
    const { smtp, mailer } = await setup({}, { maxConnections: 2 });
    // 700 KB: the encoded part is shared between the messages and goes out 64 KB at a time.
    const workbook = Buffer.concat([XLSX, randomBytes(700_000)]);
    const msgs = ['a@example.com', 'b@example.com', 'c@example.com'].map((to) => ({
      ...message(to),
      attachments: [{ ...message(to).attachments[0]!, content: workbook }],
    }));
    await Promise.all(msgs.map((m) => mailer.send(m)));
    expect(smtp.messages).toHaveLength(3);
    for (const received of smtp.messages) {
      const parsed = await simpleParser(received.raw);
      expect(parsed.attachments).toHaveLength(1);
      expect(parsed.attachments[0]!.content.equals(workbook)).toBe(true);
      expect(parsed.text?.trim()).toBe(msgs[0]!.text);
    }
  });

  it('omits List-Unsubscribe when there is no URL', async () => {
    const { smtp, mailer } = await setup();
    await mailer.send(message('a@example.com', { unsubscribe: false }));
    const parsed = await simpleParser(smtp.messages[0]!.raw);
    expect(rawHeader(parsed, 'List-Unsubscribe')).toBeUndefined();
    expect(rawHeader(parsed, 'List-Unsubscribe-Post')).toBeUndefined();
  });

  it('reports a 550 to RCPT as a permanent failure with the server text', async () => {
    const { smtp, mailer } = await setup({
      failFor: (rcpt) =>
        rcpt === 'gone@example.com' ? { code: 550, message: 'Mailbox unavailable: gone@example.com' } : null,
    });
    const err = await sendError(mailer.send(message('gone@example.com')));
    expect(err).toMatchObject({
      permanent: true,
      scope: 'recipient',
      responseCode: 550,
      code: 'EENVELOPE',
      command: 'RCPT TO',
    });
    expect(err.response).toContain('Mailbox unavailable: gone@example.com');
    expect(err.message).toContain('550');
    // The pooled connection survives a rejected recipient.
    await mailer.send(message('ok@example.com'));
    expect(smtp.countFor('ok@example.com')).toBe(1);
    expect(smtp.countFor('gone@example.com')).toBe(0);
  });

  it('reports a 451 as transient, and the retry goes through', async () => {
    const { smtp, mailer } = await setup({
      failFor: (_rcpt, attempt) => (attempt === 1 ? { code: 451, message: 'Greylisted, try again later' } : null),
    });
    const msg = message('grey@example.com');
    const err = await sendError(mailer.send(msg));
    expect(err).toMatchObject({ permanent: false, scope: 'recipient', responseCode: 451 });
    expect(err.response).toContain('Greylisted');
    await expect(mailer.send(msg)).resolves.toMatchObject({ accepted: true, messageId: msg.messageId });
    expect(smtp.countFor('grey@example.com')).toBe(1);
    expect(smtp.rcptLog).toEqual(['grey@example.com', 'grey@example.com']);
  });

  it.each([
    { name: '554 after DATA is permanent', code: 554, permanent: true },
    { name: '452 after DATA is transient', code: 452, permanent: false },
  ])('$name', async ({ code, permanent }) => {
    const { smtp, mailer } = await setup({ failAt: 'data', failFor: () => ({ code, message: 'Message refused' }) });
    const err = await sendError(mailer.send(message()));
    expect(err).toMatchObject({ permanent, scope: 'recipient', responseCode: code, command: 'DATA' });
    expect(smtp.messages).toHaveLength(0);
  });

  it.each([
    { name: 'pooled', pool: true },
    { name: 'single connection', pool: false },
  ])('reports a refused connection as transient ($name)', async ({ pool }) => {
    const port = await closedPort();
    const mailer = createSmtpMailer({ host: '127.0.0.1', port, pool, connectionTimeoutMs: 2000 }, { log });
    mailers.push(mailer);
    const err = await sendError(mailer.send(message()));
    expect(err).toMatchObject({ permanent: false, scope: 'mailer' });
    expect(['ESOCKET', 'ECONNECTION']).toContain(err.code);
    expect(err.originalCode).toBe('ECONNREFUSED');
    expect(err.responseCode).toBeUndefined();
    await expect(mailer.verify()).rejects.toMatchObject({ name: 'MailError', permanent: false });
  });

  it('logs in when the server requires it', async () => {
    const users = { finrep: 'p@ss-秘密-9f3k' };
    const { smtp, mailer } = await setup({ authRequired: true, users }, { user: 'finrep', pass: users.finrep });
    await mailer.verify();
    await mailer.send(message());
    expect(smtp.messages[0]?.user).toBe('finrep');
  });

  it('fails without credentials when the server requires them', async () => {
    const { smtp, mailer } = await setup({ authRequired: true, users: { finrep: 'x' } });
    const err = await sendError(mailer.send(message()));
    expect(err.permanent).toBe(true);
    expect(err.responseCode).toBeGreaterThanOrEqual(500);
    expect(smtp.messages).toHaveLength(0);
  });

  it('reports a refused login as a permanent mailer failure without the password', async () => {
    const pass = 'wrong-Pässw0rd-123';
    const { mailer } = await setup({ authRequired: true, users: { finrep: 'right' } }, { user: 'finrep', pass });
    for (const p of [mailer.verify(), mailer.send(message())]) {
      const err = await sendError(p);
      expect(err).toMatchObject({ code: 'EAUTH', permanent: true, scope: 'mailer', responseCode: 535 });
      const b64 = Buffer.from(pass).toString('base64');
      const serialized = JSON.stringify(err) + err.message + String(err.stack);
      expect(serialized).not.toContain(pass);
      expect(serialized).not.toContain(b64);
    }
  });

  it('refuses to go on in clear text when TLS is required and not offered', async () => {
    const { smtp, mailer } = await setup(
      { users: { finrep: 'secret' } },
      { user: 'finrep', pass: 'secret', requireTLS: true },
    );
    const err = await sendError(mailer.send(message()));
    expect(err).toMatchObject({ code: 'ETLS', scope: 'mailer', command: 'STARTTLS' });
    expect(smtp.messages).toHaveLength(0);
  });

  it('reports a server that never greets as a transient timeout', async () => {
    const sockets = new Set<net.Socket>();
    const hole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = hole.address() as net.AddressInfo;
      const mailer = createSmtpMailer({ host: '127.0.0.1', port, connectionTimeoutMs: 300 }, { log });
      mailers.push(mailer);
      const err = await sendError(mailer.send(message()));
      expect(err).toMatchObject({ code: 'ETIMEDOUT', permanent: false, scope: 'mailer' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => hole.close(() => resolve()));
    }
  });

  it.each([
    { name: 'STARTTLS', tls: 'starttls' as const, secure: false },
    { name: 'implicit TLS', tls: 'implicit' as const, secure: true },
  ])('sends over $name with login', async ({ tls, secure }) => {
    const { smtp, mailer } = await setup(
      { tls, authRequired: true, users: { finrep: 'secret' } },
      { secure, requireTLS: !secure, user: 'finrep', pass: 'secret', tls: { rejectUnauthorized: false } },
    );
    await mailer.send(message());
    expect(smtp.messages[0]).toMatchObject({ secure: true, user: 'finrep' });
  });

  it('sends concurrent messages over one connection and reconnects after maxMessages', async () => {
    const { smtp, mailer } = await setup({}, { maxMessages: 2 });
    const recipients = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com'];
    await Promise.all(recipients.map((r) => mailer.send(message(r))));
    for (const r of recipients) expect(smtp.countFor(r)).toBe(1);
    expect(smtp.connections()).toBe(3);
  });

  it('marks a failure after the message data went out as uncertain, and one before it as not', async () => {
    const { smtp, mailer } = await setup({ holdAfter: 0 }, { socketTimeoutMs: 400 });
    const err = await sendError(mailer.send(message('held@example.com')));
    expect(err).toMatchObject({ code: 'ETIMEDOUT', uncertain: true, permanent: false, scope: 'mailer' });
    expect(smtp.messages[0]?.held).toBe(true);
    // The next message goes out on a new connection.
    await expect(mailer.send(message('next@example.com'))).resolves.toMatchObject({ accepted: true });

    const refused = await sendError(
      createSmtpMailer({ host: '127.0.0.1', port: await closedPort(), connectionTimeoutMs: 2000 }, { log }).send(
        message(),
      ),
    );
    expect(refused.uncertain).toBe(false);
    const { mailer: picky } = await setup({ failAt: 'data', failFor: () => ({ code: 451, message: 'Try later' }) });
    expect((await sendError(picky.send(message()))).uncertain).toBe(false);
  });

  it('replaces a pooled connection the server closed while it was idle, without an error', async () => {
    const { smtp, mailer } = await setup({ idleTimeoutMs: 300 }, { idleTimeoutMs: 60_000 });
    await mailer.send(message('a@example.com'));
    await new Promise((resolve) => setTimeout(resolve, 700)); // the server hangs up on the idle connection
    await expect(mailer.send(message('b@example.com'))).resolves.toMatchObject({ accepted: true });
    expect(smtp.countFor('b@example.com')).toBe(1);
    expect(smtp.connections()).toBe(2);
  });

  it('keeps up to maxConnections connections busy at once', async () => {
    const { smtp, mailer } = await setup({}, { maxConnections: 3, maxMessages: 100 });
    const recipients = Array.from({ length: 9 }, (_, i) => `p${i}@example.com`);
    await Promise.all(recipients.map((r) => mailer.send(message(r))));
    for (const r of recipients) expect(smtp.countFor(r)).toBe(1);
    expect(smtp.connections()).toBe(3);
  });

  it('rejects sends after close', async () => {
    const { mailer } = await setup();
    await mailer.close();
    const err = await sendError(mailer.send(message()));
    expect(err.permanent).toBe(true);
  });
});
