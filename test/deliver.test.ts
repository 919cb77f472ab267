import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deliveriesQ, editionsQ, recipientsQ } from '../src/db/queries/index.ts';
import { createSmtpMailer } from '../src/deliver/smtp.ts';
import type { Mailer } from '../src/deliver/mailer.ts';
import { XLSX_CONTENT_TYPE } from '../src/deliver/message.ts';
import { applyUnsubscribe, requeueForResend } from '../src/deliver/recipients.ts';
import { PROCESS_OWNER } from '../src/deliver/lease.ts';
import { renderFromModel } from '../src/deliver/render.ts';
import type { EditionMail } from '../src/deliver/render.ts';
import { runDeliver } from '../src/deliver/run.ts';
import type { DeliverDeps } from '../src/deliver/run.ts';
import { signUnsubscribe, verifyUnsubscribe } from '../src/lib/tokens.ts';
import { silentLogger } from '../src/log.ts';
import { fixtureModel } from '../src/report/testdata/model.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp, TestSmtpOptions } from './helpers/smtp.ts';

const log = silentLogger();
const SECRET = 'test-secret-0123456789abcdef';
const XLSX = Buffer.from('PK\u0003\u0004 workbook bytes 金融', 'utf8');
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

let t: TestDatabase;
let servers: TestSmtp[] = [];
let mailers: Mailer[] = [];
let day = 0;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});
afterEach(async () => {
  await Promise.all(mailers.map((m) => m.close()));
  await Promise.all(servers.map((s) => s.close()));
  mailers = [];
  servers = [];
});

async function smtpServer(opts: TestSmtpOptions = {}) {
  const smtp = await startTestSmtp(opts);
  servers.push(smtp);
  return smtp;
}

function smtpMailer(port: number, opts: { socketTimeoutMs?: number; maxConnections?: number } = {}) {
  const mailer = createSmtpMailer(
    { host: '127.0.0.1', port, secure: false, connectionTimeoutMs: 2000, ...opts },
    { log },
  );
  mailers.push(mailer);
  return mailer;
}

/** A fresh edition and `n` recipients in a group of their own (the case targets only them). */
async function seedCase(n: number) {
  day += 1;
  const date = `2026-01-${String(day).padStart(2, '0')}`;
  const group = `case-${day}`;
  const list = Array.from({ length: n }, (_, i) => ({
    email: `c${day}r${i + 1}@example.com`,
    name: `收件人${i + 1}`,
    groups: [group, i % 2 ? '投资部' : '研究部'],
  }));
  await recipientsQ.upsertRecipients(t.db, list);
  const edition = await editionsQ.ensureEdition(t.db, date, new Date(Date.now() - 86_400_000), new Date());
  const mail: EditionMail = {
    editionId: edition.id,
    edition: date,
    subject: `金融情报日报｜${date}`,
    xlsx: XLSX,
    xlsxName: `金融情报日报-${date}.xlsx`,
    render: async (p) => ({
      html: `<p>${p.recipientName ?? ''}，您好</p><p>今日要闻</p>`,
      text: `今日要闻\n退订：${p.unsubscribeUrl ?? ''}`,
    }),
  };
  return { date, group, emails: list.map((r) => r.email), mail };
}

function deps(mailer: Mailer, over: Partial<DeliverDeps> = {}): DeliverDeps {
  return {
    db: t.db,
    log,
    mailer,
    from: { address: 'report@finrep.test', name: '金融情报日报' },
    ratePerSec: 500,
    maxAttempts: 3,
    secret: SECRET,
    publicBaseUrl: 'https://finrep.example.com/',
    retryBaseMs: 40,
    ...over,
  };
}

async function rowsOf(editionId: number) {
  const rows = await deliveriesQ.listDeliveries(t.db, editionId);
  return new Map(rows.map((r) => [r.email, r]));
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(`deliver: sending and the delivery log (${TEST_DB})`, () => {
  it('sends each recipient one message, records it completely, and a re-run sends nothing', async () => {
    const c = await seedCase(6);
    const smtp = await smtpServer();
    const mailer = smtpMailer(smtp.port, { maxConnections: 2 });
    const first = await runDeliver(deps(mailer, { concurrency: 2 }), c.mail, { groups: [c.group] });
    expect(first).toMatchObject({
      recipients: 6,
      sent: 6,
      failed: 0,
      skipped: 0,
      uncertain: 0,
      retrying: 0,
      error: null,
    });
    for (const e of c.emails) expect(smtp.countFor(e)).toBe(1);

    const rows = await rowsOf(c.mail.editionId);
    const serverIds = new Map(smtp.messages.map((m) => [m.envelope.to[0], m.messageId]));
    for (const e of c.emails) {
      const r = rows.get(e)!;
      expect(r).toMatchObject({
        status: 'sent',
        attempts: 1,
        replyCode: 250,
        transport: 'smtp',
        leaseOwner: null,
        error: null,
      });
      expect(r.messageId).toBe(serverIds.get(e));
      expect(r.lastReply).toMatch(/^250 /);
      expect(r.sendingAt!.getTime()).toBeLessThanOrEqual(r.sentAt!.getTime());
      expect(r.history).toHaveLength(1);
      expect(r.history[0]).toMatchObject({ status: 'sent', message_id: r.messageId, reply_code: 250 });
    }

    const again = await runDeliver(deps(mailer), c.mail, { groups: [c.group] });
    expect(again).toMatchObject({ recipients: 6, sent: 0, skipped: 6 });
    expect(smtp.messages).toHaveLength(6);
  });

  it('round-trips through mailparser: Chinese subject and attachment, sender, List-Unsubscribe, inline chart', async () => {
    const c = await seedCase(1);
    const smtp = await smtpServer();
    const mail: EditionMail = {
      ...c.mail,
      render: renderFromModel(fixtureModel()),
      inlineImages: [
        { cid: 'chart-sentiment@finrep', filename: '情绪分布.png', content: PNG, contentType: 'image/png' },
      ],
    };
    await runDeliver(deps(smtpMailer(smtp.port)), mail, { groups: [c.group] });
    expect(smtp.messages).toHaveLength(1);
    const parsed = await simpleParser(smtp.messages[0]!.raw);
    const [row] = await deliveriesQ.listDeliveries(t.db, c.mail.editionId);

    expect(parsed.subject).toBe(c.mail.subject);
    expect(parsed.from?.value).toEqual([{ address: 'report@finrep.test', name: '金融情报日报' }]);
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value).toEqual([{ address: c.emails[0], name: '收件人1' }]);
    expect(parsed.messageId).toBe(row!.messageId);
    expect(parsed.date).toBeInstanceOf(Date);
    expect(parsed.html).toContain('收件人1');
    expect(parsed.text).toContain('今日要闻');

    const xlsx = parsed.attachments.find((a) => a.contentType === XLSX_CONTENT_TYPE);
    expect(xlsx?.filename).toBe(c.mail.xlsxName);
    expect(Buffer.compare(xlsx!.content, XLSX)).toBe(0);
    const chart = parsed.attachments.find((a) => a.contentType === 'image/png');
    expect(chart).toMatchObject({
      cid: 'chart-sentiment@finrep',
      contentDisposition: 'inline',
      filename: '情绪分布.png',
    });
    expect(Buffer.compare(chart!.content, PNG)).toBe(0);

    // As written on the wire, unfolded (mailparser turns List-* headers into objects).
    const header = (name: string) => {
      const line = parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
      return line
        ?.slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim();
    };
    const unsubscribe = header('List-Unsubscribe');
    expect(unsubscribe).toMatch(/^<https:\/\/finrep\.example\.com\/unsubscribe\?t=[\w.-]+>$/);
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const token = /t=([\w.-]+)>/.exec(unsubscribe!)![1]!;
    expect(verifyUnsubscribe(token, SECRET)).toEqual({ recipientId: row!.recipientId, email: c.emails[0] });
  });

  it.each([{ failAt: 'rcpt' as const }, { failAt: 'data' as const }])(
    'retries 421/451 until delivered; 550 fails at once with its reply (refused at $failAt)',
    async ({ failAt }) => {
      const c = await seedCase(5);
      const [busy, grey, gone, stubborn] = c.emails as [string, string, string, string, string];
      const smtp = await smtpServer({
        failAt,
        failFor: (rcpt, attempt) => {
          if (rcpt === busy && attempt === 1) return { code: 421, message: 'Service busy, try later' };
          if (rcpt === grey && attempt <= 2) return { code: 451, message: 'Greylisted, try again later' };
          if (rcpt === gone) return { code: 550, message: 'Mailbox unavailable' };
          if (rcpt === stubborn) return { code: 451, message: 'Still greylisted' };
          return null;
        },
      });
      const summary = await runDeliver(deps(smtpMailer(smtp.port)), c.mail, { groups: [c.group] });
      expect(summary).toMatchObject({ recipients: 5, sent: 3, failed: 2, retrying: 0, error: null });
      const rows = await rowsOf(c.mail.editionId);
      expect(rows.get(busy)).toMatchObject({ status: 'sent', attempts: 2 });
      expect(rows.get(grey)).toMatchObject({ status: 'sent', attempts: 3 });
      expect(rows.get(grey)!.history.map((h) => h.status)).toEqual(['retrying', 'retrying', 'sent']);
      expect(rows.get(gone)).toMatchObject({ status: 'failed', attempts: 1, replyCode: 550 });
      expect(rows.get(gone)!.lastReply).toContain('Mailbox unavailable');
      expect(rows.get(stubborn)).toMatchObject({ status: 'failed', attempts: 3, replyCode: 451 });
      expect(smtp.rcptLog.filter((r) => r === gone)).toHaveLength(1); // never retried
      for (const e of [busy, grey, c.emails[4]!]) expect(smtp.countFor(e)).toBe(1);
      expect(smtp.countFor(gone) + smtp.countFor(stubborn)).toBe(0);
    },
  );

  it('stops with a clear error after N consecutive transport failures when the server is down, marking nothing sent', async () => {
    const c = await seedCase(8);
    const started = Date.now();
    const summary = await runDeliver(
      deps(smtpMailer(await closedPort()), {
        maxConsecutiveFailures: 3,
        retryBaseMs: 60_000,
        concurrency: 1,
        transportPatienceMs: 0,
      }),
      c.mail,
      { groups: [c.group] },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary.sent).toBe(0);
    expect(summary.error).toMatch(/^sending stopped after 3 consecutive transport failures: .*ECONNREFUSED/);
    const counts = await deliveriesQ.deliveryCounts(t.db, c.mail.editionId);
    expect(counts).toMatchObject({ sent: 0, sending: 0, uncertain: 0, failed: 0, retrying: 3, queued: 5 });
    expect(summary.retrying).toBe(8);
  });

  it('rides out a mail relay that is down for a while: pauses, resumes, sends each recipient once (bench:chaos outage)', async () => {
    const c = await seedCase(6);
    // The relay answers 421 to the first 14 recipients it is offered, whoever they are, then recovers: more
    // refusals than the consecutive-failure limit (3) and than any row's MAIL_MAX_ATTEMPTS (3).
    let refused = 0;
    const smtp = await smtpServer({
      failFor: () => (refused++ < 14 ? { code: 421, message: '4.3.2 Service not available' } : null),
    });
    const pauses: number[] = [];
    const summary = await runDeliver(
      deps(smtpMailer(smtp.port), {
        maxConsecutiveFailures: 3,
        concurrency: 1,
        transportPauseMs: 30,
        sleep: async (ms) => {
          if (ms >= 30) pauses.push(ms);
          await new Promise((r) => setTimeout(r, Math.min(ms, 50)));
        },
      }),
      c.mail,
      { groups: [c.group] },
    );
    expect(summary).toMatchObject({ recipients: 6, sent: 6, failed: 0, retrying: 0, error: null });
    for (const e of c.emails) expect(smtp.countFor(e)).toBe(1);
    expect(pauses.filter((p) => p === 30 || p === 60 || p === 120).length).toBeGreaterThanOrEqual(3);
    const counts = await deliveriesQ.deliveryCounts(t.db, c.mail.editionId);
    expect(counts).toMatchObject({ sent: 6, failed: 0, retrying: 0, queued: 0 });
  });

  it('sends only to the targeted groups, never to disabled or unsubscribed recipients', async () => {
    const c = await seedCase(6);
    const research = `${c.group}-研究部`;
    await recipientsQ.upsertRecipients(
      t.db,
      c.emails.slice(0, 4).map((email) => ({ email, name: null, groups: [research] })),
    );
    const [a, disabled, unsubscribed, d] = c.emails as [string, string, string, string];
    await recipientsQ.setRecipientEnabled(t.db, disabled, false);
    const target = (await recipientsQ.findRecipientByEmail(t.db, unsubscribed))!;
    expect(await applyUnsubscribe(t.db, signUnsubscribe(target.id, unsubscribed, SECRET), SECRET)).toMatchObject({
      status: 'unsubscribed',
      email: unsubscribed,
    });
    const smtp = await smtpServer();
    const summary = await runDeliver(deps(smtpMailer(smtp.port)), c.mail, { groups: [research] });
    expect(summary).toMatchObject({ recipients: 2, sent: 2 });
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual([a, d].sort());
  });

  it("leaves a live worker's sending row alone until its lease expires; a dead worker's row becomes uncertain, not re-sent", async () => {
    const c = await seedCase(7);
    const recipients = await recipientsQ.listActiveRecipients(t.db, { groups: [c.group] });
    await deliveriesQ.queueDeliveries(
      t.db,
      c.mail.editionId,
      recipients.map((r) => ({ recipientId: r.id, email: r.email })),
    );
    const sleeper = spawn('sleep', ['30']);
    const deadPid = spawnSync('true').pid;
    try {
      const host = hostname();
      const set = (email: string, status: string, owner: string, leaseSec: number) =>
        t.db.execute(sql`
        update delivery_log set status = ${status}, lease_owner = ${owner}, lease_expires_at = now() + (${leaseSec}::int * interval '1 second'),
          message_id = ${`<pre.${email}>`}, attempts = ${status === 'sending' ? 1 : 0}
        where edition_id = ${c.mail.editionId} and email = ${email}`);
      const [liveHere, deadHere, expiredElsewhere, liveElsewhere, leasedByDead, ownExpired] = c.emails as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      await set(liveHere, 'sending', `${host}:${sleeper.pid}:0a0b0c0d`, 2);
      await set(deadHere, 'sending', `${host}:${deadPid}:0a0b0c0d`, 60);
      await set(expiredElsewhere, 'sending', 'other-host:1:0a0b0c0d', -5);
      await set(liveElsewhere, 'sending', 'other-host:2:0a0b0c0d', 2);
      await set(leasedByDead, 'queued', `${host}:${deadPid}:0a0b0c0d`, 60);
      await set(ownExpired, 'sending', PROCESS_OWNER, -1); // an earlier run in this very process that died
      const leaseEnds = Date.now() + 2000;

      const smtp = await smtpServer();
      const summary = await runDeliver(deps(smtpMailer(smtp.port)), c.mail, { groups: [c.group] });
      // The run waited for the live leases, then took the rows over as abandoned: uncertain, never sent.
      const rows = await rowsOf(c.mail.editionId);
      for (const e of [liveHere, deadHere, expiredElsewhere, liveElsewhere, ownExpired]) {
        expect(rows.get(e)).toMatchObject({ status: 'uncertain', messageId: `<pre.${e}>` });
        expect(rows.get(e)!.error).toMatch(/interrupted while sending/);
        expect(smtp.countFor(e)).toBe(0);
      }
      for (const e of [liveHere, liveElsewhere]) {
        expect(new Date(rows.get(e)!.history.at(-1)!.at).getTime()).toBeGreaterThanOrEqual(leaseEnds - 1000);
      }
      expect(new Date(rows.get(deadHere)!.history.at(-1)!.at).getTime()).toBeLessThan(leaseEnds - 1000);
      expect(rows.get(leasedByDead)!.status).toBe('sent');
      expect(summary).toMatchObject({ sent: 2, uncertain: 5 });
    } finally {
      sleeper.kill();
    }
  });

  it('marks a message uncertain, not retried, when the connection is lost after its data went out', async () => {
    const c = await seedCase(3);
    const smtp = await smtpServer({ holdAfter: 1 });
    const mailer = smtpMailer(smtp.port, { socketTimeoutMs: 500 });
    const summary = await runDeliver(deps(mailer, { concurrency: 1 }), c.mail, { groups: [c.group] });
    expect(summary).toMatchObject({ sent: 2, uncertain: 1, failed: 0, retrying: 0 });
    const rows = await rowsOf(c.mail.editionId);
    const held = smtp.messages.find((m) => m.held)!;
    const uncertain = rows.get(held.envelope.to[0]!)!;
    expect(uncertain).toMatchObject({ status: 'uncertain', attempts: 1, messageId: held.messageId, replyCode: null });
    expect(uncertain.error).toMatch(/timeout/i);
    for (const e of c.emails) expect(smtp.countFor(e)).toBe(1);

    // An operator decides: resend the uncertain one. It gets a second message, with a new Message-ID.
    expect(await requeueForResend(t.db, { date: c.date })).toEqual([uncertain.email]);
    await expect(requeueForResend(t.db, { date: c.date, statuses: ['sent'] })).rejects.toThrow(/--force/);
    const resend = await runDeliver(deps(mailer), c.mail, { groups: [c.group] });
    expect(resend).toMatchObject({ sent: 1, uncertain: 0 });
    const after = (await rowsOf(c.mail.editionId)).get(uncertain.email)!;
    expect(after).toMatchObject({ status: 'sent', resends: 1, attempts: 1 });
    expect(after.messageId).not.toBe(held.messageId);
    expect(after.history.map((h) => h.message_id)).toEqual([held.messageId, after.messageId]);
    expect(smtp.countFor(uncertain.email)).toBe(2);
  });

  it('paces messages at the rate with several connections in flight', async () => {
    const c = await seedCase(41);
    const smtp = await smtpServer();
    const summary = await runDeliver(
      deps(smtpMailer(smtp.port, { maxConnections: 3 }), { ratePerSec: 20, concurrency: 3 }),
      c.mail,
      { groups: [c.group] },
    );
    expect(summary.sent).toBe(41);
    const at = smtp.messages.map((m) => m.at).sort((x, y) => x - y);
    const rate = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
    // Never faster than the limit. How close it comes to the limit is a speed figure, measured by
    // `npm run bench:mail` (bench/results/mail.json): a loaded machine only slows the sends down.
    expect(rate).toBeLessThan(23);
  });

  it('applies unsubscribe tokens: once, idempotently, never a forged one', async () => {
    const c = await seedCase(1);
    const r = (await recipientsQ.findRecipientByEmail(t.db, c.emails[0]!))!;
    const token = signUnsubscribe(r.id, r.email, SECRET);
    expect(await applyUnsubscribe(t.db, token, SECRET)).toEqual({
      status: 'unsubscribed',
      recipientId: r.id,
      email: r.email,
    });
    expect(await applyUnsubscribe(t.db, token, SECRET)).toMatchObject({ status: 'already' });
    expect(await applyUnsubscribe(t.db, signUnsubscribe(r.id, r.email, 'another-secret-0123456789'), SECRET)).toEqual({
      status: 'invalid',
    });
    expect(await applyUnsubscribe(t.db, signUnsubscribe(999_999, 'nobody@example.com', SECRET), SECRET)).toEqual({
      status: 'unknown',
    });
    expect((await recipientsQ.findRecipientByEmail(t.db, r.email))!.unsubscribedAt).toBeInstanceOf(Date);
  });
});
