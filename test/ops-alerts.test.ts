/**
 * Operational alerts (src/ops/ops-alerts.ts) on a clock of their own: the edition late, a source failing and
 * the LLM spend near its budget, each pushed once to a fake WeCom robot (real HTTP) and mailed through a real
 * SMTP server; a check again pushes nothing; the one "resolved" message follows when each clears; a channel
 * down is recorded failed and the mail still goes; nothing at all without OPS_ALERT_CHANNELS or _MAIL.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannel } from '../src/channels/store.ts';
import { loadConfig } from '../src/config/index.ts';
import type { Config } from '../src/config/index.ts';
import { editionsQ, llmUsageQ, sourcesQ } from '../src/db/queries/index.ts';
import { listOpsAlerts } from '../src/db/queries/ops-alerts.ts';
import { opsAlertLog, sources } from '../src/db/schema/index.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import { silentLogger } from '../src/log.ts';
import { checkOpsAlerts } from '../src/ops/ops-alerts.ts';
import type { OpsAlertDeps } from '../src/ops/ops-alerts.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';

const log = silentLogger();
const SECRET = 'test-secret-0123456789abcdef';
const HOUR = 3_600_000;
// Monday 2026-12-07 11:00 in Shanghai: the 06:00 edition of the day is past its 06:15 deadline.
const T0 = new Date('2026-12-07T03:00:00Z');
const HOSTILE = '<b>502</b> [点我](https://evil.example/x) **粗体**';

describe(`operational alerts (${TEST_DB})`, () => {
  let t: TestDatabase;
  let platforms: ChatPlatforms;
  let smtp: TestSmtp;
  let at = T0;
  let sourceId: number;
  const config = (env: Record<string, string> = {}): Config =>
    loadConfig(
      {
        TZ: 'Asia/Shanghai',
        OPS_ALERT_CHANNELS: 'ops-wecom',
        OPS_ALERT_MAIL: 'ops@example.com',
        LLM_DAILY_BUDGET: '10',
        LLM_MONTHLY_BUDGET: '1000',
        SMTP_FROM: 'finrep@example.com',
        PUBLIC_BASE_URL: 'https://finrep.example.com/',
        ...env,
      },
      { envFile: null },
    );
  let deps: OpsAlertDeps;
  const check = (c = config()) => checkOpsAlerts({ ...deps, config: c });
  const wecom = () => platforms.received('wecom');

  beforeAll(async () => {
    t = await createTestDatabase();
    platforms = await startChatPlatforms();
    smtp = await startTestSmtp();
    const mailer = createSmtpMailer(
      { host: '127.0.0.1', port: smtp.port, secure: false, connectionTimeoutMs: 2000 },
      { log },
    );
    await addChannel(t.db, SECRET, { name: 'ops-wecom', kind: 'wecom', url: platforms.url('wecom') });
    await sourcesQ.upsertSources(t.db, [
      {
        key: 'flaky',
        name: '不稳定快讯',
        kind: 'rss',
        url: 'http://127.0.0.1:9/a',
        rules: null,
        weight: 1,
        timezone: null,
      },
      {
        key: 'fine',
        name: '正常来源',
        kind: 'rss',
        url: 'http://127.0.0.1:9/b',
        rules: null,
        weight: 1,
        timezone: null,
      },
    ]);
    const [flaky] = await t.db.select().from(sources).where(eq(sources.key, 'flaky'));
    sourceId = flaky!.id;
    // Failing for 30 hours (last success yesterday morning), with a third party's words as its error.
    await t.db
      .update(sources)
      .set({
        lastSuccessAt: new Date(T0.getTime() - 30 * HOUR),
        lastFetchAt: new Date(T0.getTime() - HOUR),
        consecutiveFailures: 5,
        lastError: HOSTILE,
      })
      .where(eq(sources.id, sourceId));
    await t.db
      .update(sources)
      .set({ lastSuccessAt: new Date(T0.getTime() - HOUR), lastFetchAt: new Date(T0.getTime() - HOUR) })
      .where(eq(sources.key, 'fine'));
    // ¥9 of a ¥10 daily budget (90% ≥ 80%); far from the monthly one.
    await llmUsageQ.recordUsage(t.db, {
      editionId: null,
      articleId: null,
      provider: 'deepseek',
      model: 'deepseek-chat',
      purpose: 'extract',
      promptTokens: 1000,
      cachedTokens: 0,
      completionTokens: 100,
      latencyMs: 5,
      outcome: 'ok',
      error: null,
      cost: 9,
      createdAt: new Date(T0.getTime() - HOUR),
    });
    deps = {
      db: t.db,
      config: config(),
      log,
      now: () => at,
      worker: 'test:1',
      secret: SECRET,
      // The test's mailer outlives each check (a check closes what it opened).
      openMailer: async () => ({ mailer, close: async () => {} }),
      retryDelayMs: 10,
    };
  }, 120_000);

  afterAll(async () => {
    await platforms?.close();
    await smtp?.close();
    await t?.drop();
  });

  it('sends nothing and records nothing when OPS_ALERT_CHANNELS and OPS_ALERT_MAIL are empty', async () => {
    const summary = await check(config({ OPS_ALERT_CHANNELS: '', OPS_ALERT_MAIL: '' }));
    expect(summary.skipped).toBe('no targets');
    expect(await listOpsAlerts(t.db)).toEqual([]);
    expect(wecom()).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('pushes each condition once, to the channel and by mail, and not again on the next check', async () => {
    const summary = await check();
    const keys = summary.opened.map((o) => o.key).sort();
    const since = new Date(T0.getTime() - 30 * HOUR).toISOString();
    expect(keys).toEqual([
      'edition-late:2026-12-07',
      'llm-budget:day:2026-12-07',
      `source-failing:${sourceId}:${since}`,
    ]);
    expect(summary.opened.every((o) => o.status === 'sent')).toBe(true);
    expect(wecom()).toHaveLength(3);
    expect(smtp.countFor('ops@example.com')).toBe(3);

    const source = wecom().find((m) => m.text.includes('不稳定快讯'))!;
    const content = (source.body.markdown as { content: string }).content;
    // The source's error is there, inert: no tag, link or emphasis of its own.
    expect(source.text).toContain('502');
    expect(content).not.toMatch(/<b>|\]\(https:\/\/evil|\*\*粗体/);
    expect(content).toContain(`(https://finrep.example.com/sources/${sourceId})`);
    const edition = wecom().find((m) => m.text.includes('逾期未送达'))!;
    expect((edition.body.markdown as { content: string }).content).toContain('(https://finrep.example.com/runs)');
    const budget = wecom().find((m) => m.text.includes('模型费用'))!;
    expect(budget.text).toContain('90%');

    const rows = await listOpsAlerts(t.db);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({ status: 'sent', resolvedAt: null, leaseOwner: null });
      expect(r.targets.map((x) => [x.target, x.status])).toEqual([
        ['channel:ops-wecom', 'sent'],
        ['mail:ops@example.com', 'sent'],
      ]);
    }

    const again = await check();
    expect(again.opened).toEqual([]);
    expect(again.resolved).toEqual([]);
    expect(again.open).toBe(3);
    expect(wecom()).toHaveLength(3);
    expect(smtp.countFor('ops@example.com')).toBe(3);
  });

  it('sends one resolved message per incident when its condition clears', async () => {
    const edition = await editionsQ.ensureEdition(t.db, '2026-12-07', T0, T0);
    await editionsQ.updateEdition(t.db, edition.id, {
      status: 'delivered',
      deliveredAt: new Date(T0.getTime() + HOUR),
    });
    await t.db
      .update(sources)
      .set({ lastSuccessAt: new Date(T0.getTime() + HOUR), consecutiveFailures: 0, lastError: null })
      .where(eq(sources.id, sourceId));
    // 00:30 on 12-08 in Shanghai: a new day for the budget, the 12-08 edition not due before 06:00.
    at = new Date('2026-12-07T16:30:00Z');
    const summary = await check();
    expect(summary.opened).toEqual([]);
    expect(summary.resolved.map((r) => [r.key.split(':')[0], r.status]).sort()).toEqual([
      ['edition-late', 'sent'],
      ['llm-budget', 'sent'],
      ['source-failing', 'sent'],
    ]);
    const resolved = wecom().slice(3);
    expect(resolved).toHaveLength(3);
    expect(resolved.every((m) => m.text.includes('已恢复'))).toBe(true);
    const texts = resolved.map((m) => m.text).join('\n');
    for (const why of ['已送达', '已恢复抓取', '新的一天']) expect(texts).toContain(why);
    expect(smtp.countFor('ops@example.com')).toBe(6);
    const rows = await listOpsAlerts(t.db);
    for (const r of rows) expect(r).toMatchObject({ resolveStatus: 'sent', leaseOwner: null });
    expect(rows.every((r) => r.resolvedAt?.getTime() === at.getTime())).toBe(true);

    const again = await check();
    expect(again).toMatchObject({ opened: [], resolved: [], open: 0 });
    expect(wecom()).toHaveLength(6);
    expect(smtp.countFor('ops@example.com')).toBe(6);
  });

  it('records a channel that is down as failed, and the mail still goes', async () => {
    // The source fails again for more than a day: a new incident (its key carries the last success).
    at = new Date('2026-12-08T16:30:00Z');
    await t.db
      .update(sources)
      .set({ consecutiveFailures: 2, lastError: 'HTTP 503', lastFetchAt: new Date(at.getTime() - HOUR) })
      .where(eq(sources.id, sourceId));
    const edition = await editionsQ.ensureEdition(t.db, '2026-12-08', at, at);
    await editionsQ.updateEdition(t.db, edition.id, { status: 'delivered', deliveredAt: at });
    platforms.setOutage('wecom', '503');
    const before = platforms.requests('wecom');
    try {
      const summary = await check();
      expect(summary.opened).toEqual([
        { key: `source-failing:${sourceId}:${new Date(T0.getTime() + HOUR).toISOString()}`, status: 'sent' },
      ]);
    } finally {
      platforms.setOutage('wecom', false);
    }
    expect(platforms.requests('wecom') - before).toBe(2); // tried twice: a 503 is transient
    expect(smtp.countFor('ops@example.com')).toBe(7);
    const [row] = await listOpsAlerts(t.db, 1);
    expect(row!.targets.map((x) => [x.target, x.status])).toEqual([
      ['channel:ops-wecom', 'failed'],
      ['mail:ops@example.com', 'sent'],
    ]);
    expect(row!.targets[0]!.error).toMatch(/ops-wecom/);
    expect(row!.reason).toBe('1 of 2 targets not reached');
  });

  it('marks a push cut short uncertain without pushing again, and pushes one claimed but never begun', async () => {
    const expired = new Date(at.getTime() - 60_000);
    const base = { kind: 'llm-budget' as const, severity: 'warning', message: '模型费用测试', leaseExpiresAt: expired };
    await t.db.insert(opsAlertLog).values([
      { ...base, key: 'llm-budget:month:2026-10', subject: 'cut short', status: 'sending', leaseOwner: 'dead:1' },
      { ...base, key: 'llm-budget:month:2026-09', subject: 'never begun', status: 'queued', leaseOwner: 'dead:1' },
    ]);
    const before = wecom().length;
    const summary = await check();
    expect(summary.uncertain).toBe(1);
    expect(summary.opened).toEqual([{ key: 'llm-budget:month:2026-09', status: 'sent' }]);
    const rows = await listOpsAlerts(t.db, 10);
    expect(rows.find((r) => r.key === 'llm-budget:month:2026-10')).toMatchObject({
      status: 'uncertain',
      reason: 'the process pushing it stopped mid-push',
    });
    // The one never begun went out once; the one cut short did not go out again.
    expect(
      wecom()
        .slice(before)
        .filter((m) => m.text.includes('模型费用测试')),
    ).toHaveLength(1);
  });
});
