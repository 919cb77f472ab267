/**
 * A real `finrep alerts run` process SIGKILLed while an alert's push is in flight (the fake WeCom robot reads
 * the request and never answers, and tells the test it arrived): the row stays `sending`; the next run after
 * the lease marks it `uncertain` and does not push it again. The same process first pushes an alert a dead
 * run had claimed and never begun. The killed run holds the next alert run off until its lease runs out.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlertsNow } from '../src/alerts/local.ts';
import { evaluateAlerts } from '../src/alerts/run.ts';
import { alertDay } from '../src/alerts/match.ts';
import { addRule, updateRule } from '../src/alerts/rules.ts';
import { storedChannels } from '../src/alerts/targets.ts';
import { addChannel } from '../src/channels/store.ts';
import { loadConfig } from '../src/config/index.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Database } from '../src/db/client.ts';
import { alertsQ, sourcesQ } from '../src/db/queries/index.ts';
import { runs } from '../src/db/schema/index.ts';
import { silentLogger } from '../src/log.ts';
import { clock, feed, MOUTAI, TZ } from './helpers/alert-world.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { deliverEnv, startFinrep } from './helpers/delivery.ts';

const log = silentLogger();
const SECRET = 'test-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`finrep alerts run SIGKILLed mid-push (${TEST_DB})`, () => {
  let t: TestDatabase;
  let db: Database | undefined;
  let server: Server;
  let chat: ChatPlatforms;

  beforeAll(async () => {
    t = await createTestDatabase();
    chat = await startChatPlatforms();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(feed(clock()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
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
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await chat?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.drop();
  }, 60_000);

  it('leaves the in-flight alert sending, then uncertain and not pushed again; a claimed one is pushed', async () => {
    await addChannel(t.db, SECRET, { name: 'wecom-desk', kind: 'wecom', url: chat.url('wecom') });
    await addChannel(t.db, SECRET, { name: 'hook', kind: 'webhook', url: chat.url('webhook') });
    // Rules made before the stories are collected (a rule never fires on older stories), off while collecting.
    await addRule(t.db, { name: 'resume', keywords: ['茅台'], channels: ['hook'], enabled: false });
    await addRule(t.db, { name: 'hang', keywords: ['茅台'], channels: ['wecom-desk'], enabled: false });
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir, TZ }, { envFile: null });
    await runAlertsNow({ db: t.db, config, log, secret: SECRET, openMailer: async () => null, now: clock });
    const [story] = (await alertsQ.storiesSince(t.db, new Date(clock().getTime() - 3_600_000))).filter(
      (s) => s.title === MOUTAI,
    );
    const resume = (await alertsQ.getRuleByName(t.db, 'resume'))!;
    // A run that died between claiming and pushing: its row is queued, its lease ran out.
    const claimed = await alertsQ.claimAlert(t.db, resume.id, story!.storyId, alertDay(clock(), TZ), {
      leaseOwner: 'dead:1',
      leaseExpiresAt: new Date(Date.now() - 1000),
    });
    await updateRule(t.db, 'resume', { enabled: true });
    await updateRule(t.db, 'hang', { enabled: true });
    await t.close(); // the child opens it (PGlite belongs to one process)

    chat.setHang('wecom', true);
    const env = deliverEnv({ dataDir: t.dataDir, databaseUrl: t.databaseUrl, smtpPort: 1, rate: 20 });
    const child = startFinrep(['alerts', 'run', '--json'], { ...env, TZ }, t.dataDir);
    let ended = false;
    void child.done.then(() => (ended = true));
    while (chat.received('wecom').length === 0) {
      if (ended) throw new Error(`finrep alerts run ended first: ${(await child.done).stderr}`);
      await sleep(5);
    }
    child.child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    chat.setHang('wecom', false);

    db = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
    const rows = async () =>
      new Map((await alertsQ.listAlertLog(db!.db, { limit: 10 })).map((r) => [r.rule, r] as const));
    const left = await rows();
    expect(left.get('hang')).toMatchObject({ status: 'sending' });
    // The claimed row was pushed by the child before the hang: once.
    expect(left.get('resume')).toMatchObject({ id: claimed, status: 'sent' });
    expect(chat.received('webhook')).toHaveLength(1);

    // The next run, before the hung row's lease (10 minutes) has run out: it is left alone.
    const push = {
      db: db.db,
      log,
      timeZone: TZ,
      worker: 'test:1',
      openChannel: storedChannels(db.db, SECRET),
      mail: null,
      publicBaseUrl: null,
      retryDelayMs: 10,
    };
    // (On the real clock, as the child's lease: the alert tests' clock may run ahead of it near 22:00 UTC.)
    const early = await evaluateAlerts({ ...push, now: () => new Date() }, { lookbackHours: 24 });
    expect(early).toMatchObject({ recovered_uncertain: 0, sent: 0, duplicate: 2 });
    expect((await rows()).get('hang')).toMatchObject({ status: 'sending' });
    // After it: uncertain, and not pushed again.
    const later = () => new Date(Date.now() + 11 * 60_000);
    const after = await evaluateAlerts({ ...push, now: later }, { lookbackHours: 24 });
    expect(after).toMatchObject({ recovered_uncertain: 1, sent: 0, duplicate: 2 });
    expect((await rows()).get('hang')).toMatchObject({ status: 'uncertain' });
    expect(chat.received('wecom')).toHaveLength(1);
    expect(chat.received('webhook')).toHaveLength(1);

    // The killed run is still `running`, and holds the next one off only until its lease (15 minutes from its
    // last heartbeat) runs out: nothing renews it any more.
    const [killed] = await db.db.select().from(runs).where(eq(runs.status, 'running'));
    const lease = await db.db.execute(
      sql`select lease_expires_at > now() as live, lease_expires_at <= now() + interval '15 minutes' as bounded
          from runs where id = ${killed!.id}`,
    );
    expect((lease as unknown as { rows: unknown[] }).rows[0]).toEqual({ live: true, bounded: true });
    const record = { worker: 'test:2', jobId: null };
    expect(await alertsQ.claimAlertRun(db.db, killed!.editionId!, record)).toMatchObject({ activeRunId: killed!.id });
    await db.db
      .update(runs)
      .set({ leaseExpiresAt: sql`lease_expires_at - interval '15 minutes'` })
      .where(eq(runs.id, killed!.id));
    expect(await alertsQ.claimAlertRun(db.db, killed!.editionId!, record)).toEqual({ runId: expect.any(Number) });
  }, 180_000);
});
