/**
 * The editorial gate end to end (REPORT_REVIEW=true): a real edition of the demo world waits as a draft; an
 * editor drops a story, rewrites a summary, sends a test copy to themselves and approves it from the web
 * server; the recipients' mails (a real SMTP server) carry the edit and not the dropped story. A second run
 * nobody approves goes out as composed at its deadline.
 */
import { simpleParser } from 'mailparser';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import type { Config } from '../src/config/index.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import * as reviewQ from '../src/db/queries/review.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { loadReportModel } from '../src/report/stored-model.ts';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { addUser, Client, SECRET, startTestServer } from './helpers/web.ts';

const DATE = '2025-11-10';
const EDITOR = 'editor@example.com';
const PW = 'correct horse battery staple';
const log = silentLogger();

describe(`the editorial gate (${TEST_DB})`, () => {
  let t: TestDatabase;
  let world: DemoWorld;
  let smtp: TestSmtp;
  let config: Config;
  let keys: string[];
  let web: { app: FastifyInstance; base: string };
  let skewMs = 0;
  const now = () => new Date(Date.now() + skewMs);

  beforeAll(async () => {
    t = await createTestDatabase();
    smtp = await startTestSmtp();
    config = loadConfig(
      {
        FINREP_DATA_DIR: t.dataDir,
        MAIL_RATE_LIMIT_PER_SEC: '50',
        REPORT_REVIEW: 'true',
        REPORT_REVIEW_DEADLINE: '10m',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_FROM: 'finrep@example.com',
        LOG_LEVEL: 'silent',
      },
      { envFile: null },
    );
    const { to } = editionWindow(DATE, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
    // Three feeds are enough for a report to edit (no Chromium for the dynamic site: a lighter edition).
    keys = (await seedDemo(t.db, world)).filter((k) => /^demo:feed-(macro|markets|companies)$/.test(k));
    await addUser(t.db, EDITOR, 'admin', PW);
    web = await startTestServer(t.db, config);
  });
  afterAll(async () => {
    await web?.app.close();
    await world?.close();
    await smtp?.close();
    await t?.drop();
  });

  const run = () => {
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, secure: false }, { log });
    return runEdition({ db: t.db, config, log, now, mailer, secret: SECRET }, { date: DATE, sourceKeys: keys }).finally(
      () => mailer.close(),
    );
  };

  /** The edition once its draft waits for review. */
  async function inReview(runsBefore: number) {
    for (let i = 0; i < 1800; i++) {
      const e = await editionsQ.findEditionByDate(t.db, DATE);
      if (e?.status === 'review' && (e.reviewRunId ?? 0) > runsBefore && !e.approvedAt) return e;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the edition never waited for review');
  }

  const html = async (raw: Buffer) => (await simpleParser(raw, { skipImageLinks: true })).html || '';

  it('holds the draft, applies the editor’s edits on approval, and sends the test copy to the editor only', async () => {
    const running = run();
    const draft = await inReview(0);
    expect(smtp.messages).toHaveLength(0); // nothing goes out while the draft waits
    const model = loadReportModel(draft.model!);
    const dropped = model.top[1]!;
    const edited = model.top[0]!;
    const newSummary = '编辑改写的摘要：<b>不是标签</b> & 保持原样';

    const c = new Client(web.base);
    await c.signIn(EDITOR, PW);
    const token = await c.csrf(`/reports/${DATE}/review`);
    const edit = (form: Record<string, string>) => c.post(`/reports/${DATE}/review/edit`, { _csrf: token, ...form });
    expect((await edit({ op: 'drop', id: String(dropped.articleId) })).status).toBe(303);
    expect((await edit({ op: 'summary', id: String(edited.articleId), summary: newSummary })).status).toBe(303);
    expect((await edit({ op: 'summary', id: String(edited.articleId), summary: 'x'.repeat(501) })).status).toBe(400);

    // The preview is the real email with the edits, under its own CSP.
    const preview = await c.get(`/reports/${DATE}/review/preview`);
    expect(preview.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(preview.text).toContain('编辑改写的摘要：&lt;b&gt;不是标签&lt;/b&gt;');
    expect(preview.text).not.toContain(`>${dropped.title}<`);

    const test = await c.post(`/reports/${DATE}/review/test`, { _csrf: token });
    expect(test.location).toMatch(/\?test=250/);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.envelope.to).toEqual([EDITOR]);
    expect(await html(smtp.messages[0]!.raw)).toContain('编辑改写的摘要');

    expect((await c.post(`/reports/${DATE}/review/approve`, { _csrf: token })).location).toBe(
      `/reports/${DATE}/detail?done=approved`,
    );
    const summary = await running;
    expect(summary.deliver).toMatchObject({ recipients: 3, sent: 3, failed: 0 });

    const mails = smtp.messages.slice(1);
    expect(mails.map((m) => m.envelope.to[0]).sort()).toEqual(world.recipients.map((r) => r.email).sort());
    for (const m of mails) {
      const body = await html(m.raw);
      expect(body).toContain('编辑改写的摘要：&lt;b&gt;不是标签&lt;/b&gt;');
      expect(body).not.toContain(dropped.url.replaceAll('&', '&amp;'));
    }
    expect(smtp.countFor(EDITOR)).toBe(1); // the test copy only
    const rows = (await t.db.execute(sql`select email from delivery_log`)) as unknown as { rows: { email: string }[] };
    expect(rows.rows.map((r) => r.email)).not.toContain(EDITOR);

    const e = await editionsQ.findEditionByDate(t.db, DATE);
    expect(e).toMatchObject({ status: 'delivered', approvedBy: `user:${EDITOR}` });
    const audit = (await t.db.execute(
      sql`select action, detail from audit_log where action like 'report.review.%' order by id`,
    )) as unknown as { rows: { action: string; detail: Record<string, unknown> }[] };
    expect(audit.rows.map((r) => r.action)).toEqual([
      'report.review.drop',
      'report.review.summary',
      'report.review.test',
      'report.review.approve',
    ]);
    expect(audit.rows[1]!.detail).toMatchObject({ before: edited.summary, after: newSummary });
  }, 180_000);

  it('sends a draft nobody approved as composed once its deadline passed', async () => {
    // A recipient added since: the second run has someone to send to (the others have the edition).
    await t.db.execute(sql`insert into recipients (email, name) values ('late@example.com', '迟到者')`);
    const before = smtp.messages.length;
    const runsBefore = (await editionsQ.findEditionByDate(t.db, DATE))!.reviewRunId!;
    const running = run();
    const draft = await inReview(runsBefore);
    const composed = loadReportModel(draft.model!);
    expect(smtp.messages.length).toBe(before);
    skewMs = 11 * 60_000; // the clock passes REPORT_REVIEW_DEADLINE (10 min after compose)
    const summary = await running;
    expect(summary.deliver).toMatchObject({ sent: 1, skipped: 3 });
    const [late] = smtp.messages.slice(before);
    expect(late!.envelope.to).toEqual(['late@example.com']);
    const body = await html(late!.raw);
    // As composed: the story dropped in the first review is back, with its own summary.
    expect(body).toContain(composed.top[1]!.url.replaceAll('&', '&amp;'));
    const state = await reviewQ.reviewState(t.db, draft.id);
    expect(state).toMatchObject({ approvedBy: 'deadline' });
  }, 180_000);

  it('keeps the wait in the row: a resumed run finds its deadline and approval, a new run opens a new review', async () => {
    const e = (await editionsQ.findEditionByDate(t.db, DATE))!;
    const d1 = new Date(Date.now() + 60_000);
    const opened = await reviewQ.openReview(t.db, e.id, 900, d1);
    expect(opened).toMatchObject({ status: 'review', runId: 900, deadlineAt: d1, approvedAt: null });
    expect(await reviewQ.approveReview(t.db, e.id, 900, 'user:a@example.com')).toBe(true);
    expect(await reviewQ.approveReview(t.db, e.id, 900, 'user:b@example.com')).toBe(false);
    // The same run resumed after a crash (compose ran again): its deadline and its approval are kept.
    await editionsQ.setEditionStatus(t.db, e.id, 'composed');
    const resumed = await reviewQ.openReview(t.db, e.id, 900, new Date(Date.now() + 3_600_000));
    expect(resumed).toMatchObject({ status: 'composed', deadlineAt: d1, approvedBy: 'user:a@example.com' });
    expect(await reviewQ.closeReviewAtDeadline(t.db, e.id, 900, new Date())).toBe(false);
    // A new run of the date: a new review; the deadline wins over a late approval.
    const again = await reviewQ.openReview(t.db, e.id, 901, d1);
    expect(again).toMatchObject({ status: 'review', runId: 901, approvedAt: null });
    expect(await reviewQ.closeReviewAtDeadline(t.db, e.id, 901, new Date())).toBe(true);
    expect(await reviewQ.approveReview(t.db, e.id, 901, 'user:a@example.com')).toBe(false);
    expect(await reviewQ.reviewState(t.db, e.id)).toMatchObject({ status: 'composed', approvedBy: 'deadline' });
  });
});
