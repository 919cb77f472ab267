/**
 * Intraday alerts end to end: a feed on 127.0.0.1 is collected between editions by an alert run (the
 * edition's collect → dedup → extract), the rules are evaluated, and matches are pushed to a fake WeCom robot
 * (real HTTP) and mailed through a real SMTP server — once per story and rule, across re-runs and racing runs;
 * quiet hours and the daily cap hold them back; a channel outage fails the channel without blocking the mail.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlertsNow } from '../src/alerts/local.ts';
import { evaluateAlerts, isSkippedAlertRun, nextEditionDate } from '../src/alerts/run.ts';
import { pushClaimed, pushMatch } from '../src/alerts/push.ts';
import type { AlertPushDeps } from '../src/alerts/push.ts';
import { alertDay } from '../src/alerts/match.ts';
import { addRule, updateRule } from '../src/alerts/rules.ts';
import { storedChannels } from '../src/alerts/targets.ts';
import { addChannel } from '../src/channels/store.ts';
import { loadConfig } from '../src/config/index.ts';
import { alertsQ, recipientsQ, sourcesQ } from '../src/db/queries/index.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import type { Mailer } from '../src/deliver/mailer.ts';
import { zonedParts } from '../src/lib/time.ts';
import { silentLogger } from '../src/log.ts';
import { clock, feed, MOUTAI, TZ, WEATHER } from './helpers/alert-world.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';

const log = silentLogger();
const SECRET = 'test-secret-0123456789abcdef';

/** HH:MM in TZ, `minutes` from now. */
function localHhmm(minutes: number): string {
  const p = zonedParts(new Date(clock().getTime() + minutes * 60_000), TZ);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

describe(`intraday alerts (${TEST_DB})`, () => {
  let t: TestDatabase;
  let server: Server;
  let platforms: ChatPlatforms;
  let smtp: TestSmtp;
  let mailer: Mailer;
  let push: AlertPushDeps;
  const rows = (rule: string) =>
    alertsQ.listAlertLog(t.db, { limit: 100 }).then((r) => r.filter((x) => x.rule === rule));

  beforeAll(async () => {
    t = await createTestDatabase();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(feed(clock()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    platforms = await startChatPlatforms();
    smtp = await startTestSmtp();
    mailer = createSmtpMailer(
      { host: '127.0.0.1', port: smtp.port, secure: false, connectionTimeoutMs: 2000 },
      { log },
    );
    await sourcesQ.upsertSources(t.db, [
      {
        key: 'flash',
        name: '测试快讯',
        kind: 'rss',
        url: `http://127.0.0.1:${port}/feed.xml`,
        rules: null,
        weight: 1,
        timezone: TZ,
        allowPrivate: true,
      },
    ]);
    await recipientsQ.upsertRecipients(t.db, [
      { email: 'desk@example.com', name: '交易台', groups: ['desk'] },
      { email: 'other@example.com', name: null, groups: ['other'] },
    ]);
    await addChannel(t.db, SECRET, { name: 'wecom-desk', kind: 'wecom', url: platforms.url('wecom') });
    // Every rule exists before the stories are collected (a rule never fires on stories older than itself);
    // each case turns its own on.
    const base = { channels: ['wecom-desk'], mailGroups: ['desk'] };
    await addRule(t.db, { name: 'moutai', keywords: ['茅台'], tickers: ['600519'], ...base });
    await addRule(t.db, { name: 'never', keywords: ['不会出现的词'], ...base });
    await addRule(t.db, { name: 'race', keywords: ['茅台'], ...base, enabled: false });
    await addRule(t.db, { name: 'quiet', keywords: ['茅台'], ...base, quiet: `${localHhmm(-60)}-${localHhmm(60)}` });
    await updateRule(t.db, 'quiet', { enabled: false });
    await addRule(t.db, { name: 'capped', dailyCap: 1, ...base, enabled: false });
    await addRule(t.db, { name: 'outage', keywords: ['茅台'], ...base, enabled: false });
    await addRule(t.db, { name: 'race-cap', dailyCap: 1, ...base, enabled: false });
    await addRule(t.db, { name: 'late-cap', dailyCap: 1, ...base, enabled: false });
    push = {
      db: t.db,
      log,
      now: clock,
      timeZone: TZ,
      worker: 'test:1',
      openChannel: storedChannels(t.db, SECRET),
      mail: { mailer, from: { address: 'finrep@example.com', name: '金融情报' } },
      publicBaseUrl: null,
      retryDelayMs: 10,
    };
  }, 240_000);

  afterAll(async () => {
    await mailer?.close();
    await smtp?.close();
    await platforms?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.drop();
  }, 60_000);

  it('an alert run collects the feed and fires the matching rule once, to the channel and by mail', async () => {
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir, TZ }, { envFile: null });
    const summary = await runAlertsNow({
      db: t.db,
      config,
      log,
      secret: SECRET,
      openMailer: async () => ({ mailer, close: async () => {} }),
      now: clock,
    });
    if (isSkippedAlertRun(summary)) throw new Error(summary.skipped);
    expect(summary.collect).toMatchObject({ sources: 1, new_articles: 2, failed_sources: 0 });
    expect(summary.alerts).toMatchObject({ matched: 1, sent: 1, failed: 0, suppressed: 0 });
    const [row, ...more] = await rows('moutai');
    expect(more).toEqual([]);
    expect(row).toMatchObject({ status: 'sent', title: MOUTAI });
    expect(row!.targets.map((x) => [x.target, x.status])).toEqual([
      ['channel:wecom-desk', 'sent'],
      ['mail:desk@example.com', 'sent'],
    ]);
    expect(await rows('never')).toEqual([]);
    const posted = platforms.received('wecom');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.text).toContain('茅台');
    expect(smtp.countFor('desk@example.com')).toBe(1);
    expect(smtp.countFor('other@example.com')).toBe(0);
    expect(smtp.messages[0]!.raw.toString('utf8')).toMatch(/X-Finrep-Alert/i);

    // A second run finds the same stories: nothing is pushed again.
    const again = await runAlertsNow({
      db: t.db,
      config,
      log,
      secret: SECRET,
      openMailer: async () => ({ mailer, close: async () => {} }),
      now: clock,
    });
    expect(again).toMatchObject({ alerts: { matched: 1, sent: 0, duplicate: 1 } });
    expect(platforms.received('wecom')).toHaveLength(1);
    expect(smtp.countFor('desk@example.com')).toBe(1);
  }, 180_000);

  it('two runs racing push a match once', async () => {
    await updateRule(t.db, 'race', { enabled: true });
    const before = platforms.received('wecom').length;
    const [a, b] = await Promise.all([
      evaluateAlerts(push, { lookbackHours: 24 }),
      evaluateAlerts({ ...push, worker: 'test:2' }, { lookbackHours: 24 }),
    ]);
    expect(a.sent + b.sent).toBe(1);
    expect(a.duplicate + b.duplicate).toBe(3); // moutai twice, race once
    expect(await rows('race')).toHaveLength(1);
    expect(platforms.received('wecom').length - before).toBe(1);
    await updateRule(t.db, 'race', { enabled: false });
  });

  it('quiet hours suppress the alert, and it is not pushed later', async () => {
    await updateRule(t.db, 'quiet', { enabled: true });
    const before = platforms.received('wecom').length;
    await evaluateAlerts(push, { lookbackHours: 24 });
    const [row] = await rows('quiet');
    expect(row).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/^quiet hours/) });
    expect(platforms.received('wecom')).toHaveLength(before);
    await updateRule(t.db, 'quiet', { quiet: 'off' });
    await evaluateAlerts(push, { lookbackHours: 24 });
    expect(await rows('quiet')).toMatchObject([{ status: 'suppressed' }]);
    expect(platforms.received('wecom')).toHaveLength(before);
    await updateRule(t.db, 'quiet', { enabled: false });
  });

  it('the daily cap holds: the second match of the day is suppressed', async () => {
    await updateRule(t.db, 'capped', { enabled: true });
    const counts = await evaluateAlerts(push, { lookbackHours: 24 });
    expect(counts).toMatchObject({ sent: 1, suppressed: 1 });
    const statuses = (await rows('capped')).map((r) => [r.status, r.reason]).sort();
    expect(statuses).toEqual([
      ['sent', null],
      ['suppressed', 'daily cap 1 reached'],
    ]);
    await updateRule(t.db, 'capped', { enabled: false });
  });

  it('two runs racing against a daily cap of 1 let one alert through', async () => {
    await updateRule(t.db, 'race-cap', { enabled: true });
    const before = platforms.received('wecom').length;
    const [a, b] = await Promise.all([
      evaluateAlerts(push, { lookbackHours: 24 }),
      evaluateAlerts({ ...push, worker: 'test:2' }, { lookbackHours: 24 }),
    ]);
    expect(a.sent + b.sent).toBe(1);
    expect(a.suppressed + b.suppressed).toBe(1);
    expect((await rows('race-cap')).map((r) => r.status).sort()).toEqual(['sent', 'suppressed']);
    expect(platforms.received('wecom').length - before).toBe(1);
    await updateRule(t.db, 'race-cap', { enabled: false });
  });

  it('the daily cap counts an alert claimed first and let through last (claims committed out of order)', async () => {
    const rule = (await alertsQ.getRuleByName(t.db, 'late-cap'))!;
    const [first, second] = await alertsQ.storiesSince(t.db, new Date(clock().getTime() - 86_400_000));
    const day = alertDay(clock(), TZ);
    const lease = { leaseOwner: 'test:1', leaseExpiresAt: new Date(clock().getTime() + 600_000) };
    // Run A claims the first story; run B claims the second and pushes it before A goes on. On PostgreSQL
    // A's claim is still uncommitted while B decides (the row B cannot see has the lower id): a cap counted
    // over the rows "before" B's let both through.
    let idA: number;
    let outcomeB: string;
    if (t.databaseUrl) {
      const a = new pg.Client({ connectionString: t.databaseUrl });
      await a.connect();
      try {
        await a.query('begin');
        const res = await a.query<{ id: number }>(
          'insert into alert_log (rule_id, story_id, day, lease_owner, lease_expires_at) values ($1, $2, $3, $4, $5) returning id',
          [rule.id, first!.storyId, day, lease.leaseOwner, lease.leaseExpiresAt],
        );
        idA = res.rows[0]!.id;
        outcomeB = await pushMatch({ ...push, worker: 'test:2' }, rule, second!, []);
        await a.query('commit');
      } finally {
        await a.end();
      }
    } else {
      idA = (await alertsQ.claimAlert(t.db, rule.id, first!.storyId, day, lease))!;
      outcomeB = await pushMatch({ ...push, worker: 'test:2' }, rule, second!, []);
    }
    const outcomeA = await pushClaimed(push, idA, rule, first!, [], day);
    expect([outcomeA, outcomeB].sort()).toEqual(['sent', 'suppressed']);
    expect((await rows('late-cap')).map((r) => r.status).sort()).toEqual(['sent', 'suppressed']);
  });

  it('a channel outage fails the channel and the mail still goes', async () => {
    await updateRule(t.db, 'outage', { enabled: true });
    platforms.setOutage('wecom', '503');
    const mails = smtp.countFor('desk@example.com');
    try {
      await evaluateAlerts(push, { lookbackHours: 24 });
    } finally {
      platforms.setOutage('wecom', false);
    }
    const [row] = await rows('outage');
    expect(row).toMatchObject({ status: 'sent', reason: '1 of 2 targets not reached' });
    expect(row!.targets.find((x) => x.target === 'channel:wecom-desk')).toMatchObject({
      status: 'failed',
      error: expect.any(String),
    });
    expect(smtp.countFor('desk@example.com')).toBe(mails + 1);
  });

  it('an alert left sending by a dead process becomes uncertain and is not pushed again', async () => {
    const [row] = await rows('outage');
    await alertsQ.setAlert(t.db, row!.id, {
      status: 'sending',
      leaseOwner: 'dead:1',
      leaseExpiresAt: new Date(clock().getTime() - 1000),
    });
    const before = platforms.received('wecom').length;
    const counts = await evaluateAlerts(push, { lookbackHours: 24 });
    expect(counts.recovered_uncertain).toBe(1);
    expect((await alertsQ.getAlert(t.db, row!.id))?.status).toBe('uncertain');
    expect(platforms.received('wecom')).toHaveLength(before);
  });

  it('the next edition marks the alerted story 已预警 in the email, the text and the model', async () => {
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir, TZ }, { envFile: null });
    const date = nextEditionDate(config, clock());
    const summary = await runEdition(
      { db: t.db, config, log, now: clock, mailer: null, secret: SECRET },
      { date, dryRun: true, deadline: null },
    );
    const html = readFileSync(summary.report.email_html, 'utf8');
    expect(html).toContain('aria-label="已预警：盘中已推送"');
    const text = readFileSync(summary.report.text, 'utf8').split('\n');
    const metaOf = (title: string) => text[text.findIndex((l) => l.includes(title)) + 1] ?? '';
    expect(metaOf(MOUTAI)).toContain('【已预警】');
    // The weather story is marked only if an alert reached someone with it (the capped rule's one alert).
    const sent = (await alertsQ.listAlertLog(t.db, { limit: 100 })).filter((r) => r.status === 'sent');
    const weatherSent = sent.some((r) => r.title === WEATHER);
    expect(metaOf(WEATHER).includes('【已预警】')).toBe(weatherSent);
  }, 180_000);
});
