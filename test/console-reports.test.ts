/**
 * The reports console over HTTP on the real server: the editions list and an edition's page (hostile titles
 * inert), the workbook and .eml downloads, resend to one address / a group / every failed row through the
 * embedded process's real queue and a real SMTP server (exactly once unless forced), and a draft's review
 * (edits kept, audited, approve once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionsQ } from '../src/db/queries/index.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import { startEmbedded } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { storeReportModel } from '../src/report/stored-model.ts';
import { fixtureModel } from '../src/report/testdata/model.ts';
import { buildServer } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { addUser, Client, SECRET, webConfig } from './helpers/web.ts';

const PW = 'correct horse battery staple';
const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const D1 = '2025-11-10';
const D2 = '2025-11-11';

describe(`the reports console (${TEST_DB})`, () => {
  let t: TestDatabase;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  let admin: Client;
  let viewer: Client;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-console-reports-'));
  const log = silentLogger();

  const model = () => {
    const m = fixtureModel();
    m.top[0]!.title = HOSTILE;
    m.top[1]!.url = 'javascript:alert(3)';
    return m;
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    smtp = await startTestSmtp();
    const config = webConfig({
      FINREP_DATA_DIR: dataDir,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: 'finrep@example.com',
      MAIL_RATE_LIMIT_PER_SEC: '50',
      SCHEDULE_CATCHUP_HOURS: '0',
    });
    const openMailer = async () => {
      const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, secure: false }, { log });
      return { mailer, close: () => mailer.close() };
    };
    embedded = await startEmbedded({ db: t.db, config, log, secret: SECRET, openMailer });
    app = await buildServer({ config, db: t.db, log, secret: SECRET, jobQueue: embedded.queue });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await addUser(t.db, 'admin@example.com', 'admin', PW);
    await addUser(t.db, 'viewer@example.com', 'viewer', PW);
    admin = new Client(base);
    viewer = new Client(base);
    await admin.signIn('admin@example.com', PW);
    await viewer.signIn('viewer@example.com', PW);

    const w = { from: new Date('2025-11-09T22:00:00Z'), to: new Date('2025-11-10T22:00:00Z') };
    const e1 = await editionsQ.ensureEdition(t.db, D1, w.from, w.to);
    await editionsQ.updateEdition(t.db, e1.id, {
      status: 'delivered',
      model: storeReportModel(model()),
      subject: `金融情报日报｜${D1}`,
      itemCount: 21,
      composedAt: new Date(),
      deliveredAt: new Date(),
    });
    const e2 = await editionsQ.ensureEdition(t.db, D2, w.to, new Date(w.to.getTime() + 86_400_000));
    await editionsQ.updateEdition(t.db, e2.id, {
      status: 'review',
      model: storeReportModel({ ...model(), edition: D2 }),
      subject: `金融情报日报｜${D2}`,
      reviewRunId: 1,
      reviewDeadlineAt: new Date(Date.now() + 3_600_000),
      composedAt: new Date(),
    });
    await t.db.execute(sql`insert into recipients (email, name, groups) values
      ('a@example.com', 'A', '["研究部"]'), ('b@example.com', 'B', '["投资部"]'), ('c@example.com', 'C', '["研究部"]')`);
    await t.db.execute(sql`insert into delivery_log (edition_id, recipient_id, email, status, attempts, sent_at)
      select ${e1.id}, id, email, case email when 'a@example.com' then 'sent' when 'b@example.com' then 'failed'
        else 'uncertain' end, 1, case email when 'a@example.com' then now() end from recipients`);
  });
  afterAll(async () => {
    await app?.close();
    await embedded?.stop(5000);
    await smtp?.close();
    await t?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const row = async (email: string) =>
    (
      (await t.db.execute(
        sql`select status, resends from delivery_log where email = ${email} and edition_id = (select id from editions where date = ${D1})`,
      )) as unknown as { rows: { status: string; resends: number }[] }
    ).rows[0]!;

  async function delivered(email: string, n: number) {
    for (let i = 0; i < 300 && smtp.countFor(email) < n; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100 && (await row(email)).status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(smtp.countFor(email)).toBe(n);
  }

  it('lists the editions with their delivery counts, for a viewer too', async () => {
    const r = await viewer.get('/reports');
    expect(r.status).toBe(200);
    expect(r.text).toContain(`href="/reports/${D1}/detail"`);
    expect(r.text).toContain(`href="/reports/${D2}/review"`); // the draft waiting for review
    const line = r.text.slice(r.text.indexOf(`/reports/${D1}/detail`));
    expect(line).toMatch(/>1<.*badge bad">1<.*badge warn">1</s);
  });

  it("shows an edition's stories with hostile text inert, and no resend form to a viewer", async () => {
    const r = await viewer.get(`/reports/${D1}/detail`);
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('<script>alert(1)');
    expect(r.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.text).not.toContain('href="javascript:');
    expect(r.text).not.toContain(`action="/reports/${D1}/resend"`);
    expect((await admin.get(`/reports/${D1}/detail`)).text).toContain(`action="/reports/${D1}/resend"`);
    expect((await viewer.get('/reports/2025-13-99/detail')).status).toBe(404);
  });

  it("names an edition's sections in the page's language", async () => {
    const zh = await viewer.get(`/reports/${D1}/detail`);
    expect(zh.text).toMatch(/<td>宏观<\/td>/);
    const en = await viewer.get(`/reports/${D1}/detail?lang=en`);
    expect(en.text).toMatch(/<td>Macro<\/td>/);
    expect(en.text).not.toMatch(/<td>宏观<\/td>/);
    await viewer.get(`/reports/${D1}/detail?lang=zh-CN`);
  });

  it('downloads the workbook and the email with their content types', async () => {
    const x = await fetch(`${admin.base}/reports/${D1}/xlsx`, { headers: { cookie: cookieOf(admin) } });
    expect(x.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(x.headers.get('content-disposition')).toContain("filename*=UTF-8''%E9%87%91");
    expect(
      Buffer.from(await x.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    const m = await fetch(`${admin.base}/reports/${D1}/eml`, { headers: { cookie: cookieOf(admin) } });
    expect(m.headers.get('content-type')).toMatch(/^message\/rfc822/);
    const mail = await simpleParser(Buffer.from(await m.arrayBuffer()));
    expect(mail.subject).toContain(D1);
    expect(mail.to).toMatchObject({ value: [{ address: 'admin@example.com' }] });
    expect(mail.html).toContain('&lt;script&gt;alert(1)');
    expect(mail.attachments.some((a) => a.filename?.endsWith('.xlsx'))).toBe(true);
  });

  it('resends the failed rows through the queue, and nobody else', async () => {
    const token = await admin.csrf(`/reports/${D1}/detail`);
    const r = await admin.post(`/reports/${D1}/resend`, { _csrf: token, mode: 'failed' });
    expect(r.location).toMatch(/resent=1&queued=1/);
    await delivered('b@example.com', 1);
    expect(smtp.countFor('a@example.com')).toBe(0);
    expect(await row('c@example.com')).toMatchObject({ status: 'uncertain', resends: 0 });
  });

  it('resends to one address; a delivered one only when forced', async () => {
    const token = await admin.csrf(`/reports/${D1}/detail`);
    const one = (email: string, force?: boolean) =>
      admin.post(`/reports/${D1}/resend`, { _csrf: token, mode: 'one', email, ...(force && { force: '1' }) });
    expect((await one('c@example.com')).location).toMatch(/resent=1/);
    await delivered('c@example.com', 1);
    expect((await one('a@example.com')).location).toContain('error=nothing');
    expect((await one('not an address')).location).toContain('error=badEmail');
    expect((await one('a@example.com', true)).location).toMatch(/resent=1/);
    await delivered('a@example.com', 1);
    expect(smtp.countFor('b@example.com')).toBe(1);
  });

  it('resends to a group with force, and records every resend in the audit log', async () => {
    const token = await admin.csrf(`/reports/${D1}/detail`);
    const r = await admin.post(`/reports/${D1}/resend`, { _csrf: token, mode: 'group', group: '研究部', force: '1' });
    expect(r.location).toMatch(/resent=2/);
    await delivered('a@example.com', 2);
    await delivered('c@example.com', 2);
    expect(smtp.countFor('b@example.com')).toBe(1);
    const audit = (await t.db.execute(
      sql`select detail from audit_log where action = 'report.resend' order by id`,
    )) as unknown as { rows: { detail: { mode: string; requeued: string[] } }[] };
    expect(audit.rows.map((a) => a.detail.mode)).toEqual(['failed', 'one', 'one', 'group']);
    expect(audit.rows[3]!.detail.requeued.sort()).toEqual(['a@example.com', 'c@example.com']);
  });

  it('sends a draft under review to nobody, whatever resend is asked for', async () => {
    const token = await admin.csrf(`/reports/${D1}/detail`);
    const before = smtp.messages.length;
    const r = await admin.post(`/reports/${D2}/resend`, { _csrf: token, mode: 'group', group: '研究部', force: '1' });
    expect(r.location).toContain('error=inReview');
    expect((await admin.get(`/reports/${D2}/detail`)).text).not.toContain(`action="/reports/${D2}/resend"`);
    const rows = (await t.db.execute(
      sql`select count(*)::int as n from delivery_log where edition_id = (select id from editions where date = ${D2})`,
    )) as unknown as { rows: { n: number }[] };
    expect(rows.rows[0]!.n).toBe(0);
    expect(smtp.messages.length).toBe(before);
  });

  it('keeps a draft’s edits, audits them, shows them in the sandboxed preview, and approves once', async () => {
    const page = await admin.get(`/reports/${D2}/review`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('sandbox=""');
    expect(page.text).not.toContain('<script>alert(1)');
    const ids = [...page.text.matchAll(/data-article="(\d+)"/g)].map((m) => Number(m[1]));
    const [first, second] = ids;
    const token = await admin.csrf(`/reports/${D2}/review`);
    const edit = (op: string, id: number, extra: Record<string, string> = {}) =>
      admin.post(`/reports/${D2}/review/edit`, { _csrf: token, op, id: String(id), ...extra });
    expect((await edit('down', first!)).status).toBe(303);
    expect((await edit('drop', second!)).status).toBe(303);
    expect((await edit('summary', first!, { summary: `改写 ${HOSTILE}` })).status).toBe(303);
    expect((await edit('fly', first!)).status).toBe(400);
    expect((await edit('drop', 999_999)).status).toBe(400);

    const after = await admin.get(`/reports/${D2}/review`);
    expect(after.text).toContain('改写 &lt;script&gt;');
    const preview = await admin.get(`/reports/${D2}/review/preview`);
    expect(preview.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(preview.text).toContain('改写 &lt;script&gt;');
    expect(preview.text).not.toContain('<script>');

    const e = await editionsQ.findEditionByDate(t.db, D2);
    expect(e!.reviewEdits!.dropped).toEqual([second]);
    expect(e!.reviewEdits!.order.top!.slice(0, 2)).toEqual([second, first]);
    expect(e!.reviewEdits!.summaries[String(first)]).toBe(`改写 ${HOSTILE}`);

    expect((await admin.post(`/reports/${D2}/review/approve`, { _csrf: token })).location).toContain('done=approved');
    expect((await admin.post(`/reports/${D2}/review/approve`, { _csrf: token })).location).toContain('error=tooLate');
    expect((await edit('drop', first!)).location).toContain('error=tooLate');
    const audit = (await t.db.execute(
      sql`select action from audit_log where action like 'report.review.%' order by id`,
    )) as unknown as { rows: { action: string }[] };
    expect(audit.rows.map((a) => a.action)).toEqual([
      'report.review.down',
      'report.review.drop',
      'report.review.summary',
      'report.review.approve',
    ]);
  });
});

function cookieOf(c: Client): string {
  return [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}
