import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannel } from '../src/channels/store.ts';
import { addRule } from '../src/alerts/rules.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import { alertLog, alertRules, channelLog, storyClusters } from '../src/db/schema/index.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';
import { HAS_CHROMIUM, openConsoleBrowser } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, SECRET, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const DATE = '2026-12-05';

/** A desk's channels (one per kind, at the fake platforms), an edition's pushes, two rules and their firings. */
async function seed(db: TestDatabase['db'], chat: ChatPlatforms): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  const add = async (input: Parameters<typeof addChannel>[2]) =>
    (ids[input.name] = (await addChannel(db, SECRET, input)).id);
  await add({ name: 'research-wecom', kind: 'wecom', url: chat.url('wecom'), group: '研究部' });
  await add({ name: 'macro-feishu', kind: 'feishu', url: chat.url('feishu'), secret: chat.secret('feishu') });
  await add({
    name: 'desk-dingtalk',
    kind: 'dingtalk',
    url: chat.url('dingtalk'),
    secret: 'not-the-robot-secret',
    options: { keywords: chat.keywords },
  });
  await add({
    name: 'ops-telegram',
    kind: 'telegram',
    url: chat.url('telegram'),
    options: { chatId: chat.telegramChatId },
  });
  await add({
    name: 'risk-slack-hook-with-a-rather-long-name',
    kind: 'webhook',
    url: chat.url('webhook'),
    options: { format: 'slack', maxItems: 5 },
    enabled: false,
  });
  const ed = await editionsQ.ensureEdition(db, DATE, new Date(`${DATE}T00:00:00Z`), new Date(`${DATE}T01:00:00Z`));
  const row = (name: string, status: 'sent' | 'failed' | 'uncertain', o: Partial<typeof channelLog.$inferInsert>) => ({
    editionId: ed.id,
    channelId: ids[name]!,
    channelName: name,
    status,
    ...o,
  });
  const at = new Date(`${DATE}T22:05:00Z`);
  await db.insert(channelLog).values([
    row('research-wecom', 'sent', {
      attempts: 1,
      parts: 2,
      partsSent: 2,
      replyCode: 200,
      lastReply: '{"errcode":0,"errmsg":"ok"}',
      sentAt: at,
    }),
    row('macro-feishu', 'sent', {
      attempts: 1,
      parts: 1,
      partsSent: 1,
      replyCode: 200,
      lastReply: '{"code":0,"msg":"success"}',
      sentAt: at,
    }),
    row('desk-dingtalk', 'failed', {
      attempts: 1,
      parts: 2,
      partsSent: 0,
      replyCode: 200,
      lastReply:
        '{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}',
      error: 'dingtalk refused the signature (310000)',
    }),
    row('ops-telegram', 'uncertain', {
      attempts: 1,
      parts: 4,
      partsSent: 2,
      error: 'no reply after the request was sent (timeout): part 3 may have been posted',
    }),
  ]);
  await addRule(db, {
    name: 'moutai',
    tickers: ['600519.SH'],
    companies: ['贵州茅台'],
    minImportance: 3,
    channels: ['research-wecom', 'ops-telegram'],
    mailGroups: ['研究部'],
    quiet: '22:00-07:00',
    dailyCap: 10,
  });
  await addRule(db, { name: 'negative-banks', keywords: ['银行', '降级'], sentiment: 'negative', mailGroups: ['*'] });
  const t = new Date(`${DATE}T03:12:00Z`);
  const stories = await db
    .insert(storyClusters)
    .values([
      { title: '贵州茅台发布 2026 年第三季度业绩预告，净利润同比增长 15%', firstSeenAt: t, lastSeenAt: t },
      { title: '穆迪下调两家区域性银行评级展望至负面', firstSeenAt: t, lastSeenAt: t },
      { title: '茅台夜间公告：董事会换届', firstSeenAt: t, lastSeenAt: t },
    ])
    .returning({ id: storyClusters.id });
  const rules = await db.select({ id: alertRules.id, name: alertRules.name }).from(alertRules);
  const rule = (n: string) => rules.find((r) => r.name === n)!.id;
  await db.insert(alertLog).values([
    {
      ruleId: rule('moutai'),
      storyId: stories[0]!.id,
      day: DATE,
      status: 'sent',
      targets: [
        { target: 'channel:research-wecom', status: 'sent', error: null, at: t.toISOString() },
        { target: 'channel:ops-telegram', status: 'sent', error: null, at: t.toISOString() },
        { target: 'mail:研究部', status: 'sent', error: null, at: t.toISOString() },
      ],
    },
    {
      ruleId: rule('negative-banks'),
      storyId: stories[1]!.id,
      day: DATE,
      status: 'failed',
      targets: [{ target: 'mail:*', status: 'failed', error: '421 4.7.0 try again later', at: t.toISOString() }],
    },
    {
      ruleId: rule('moutai'),
      storyId: stories[2]!.id,
      day: DATE,
      status: 'suppressed',
      reason: 'quiet hours 22:00-07:00',
    },
  ]);
  return ids;
}

describe.skipIf(!HAS_CHROMIUM)('console in Chromium: channels and alerts', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let b: ConsoleBrowser;
  let chat: ChatPlatforms;
  let ids: Record<string, number>;

  beforeAll(async () => {
    database = await createTestDatabase();
    chat = await startChatPlatforms();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    ids = await seed(database.db, chat);
    ({ app, base } = await startTestServer(database.db, webConfig()));
    b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await chat?.close();
    await database?.drop();
  });

  it('adds a Telegram channel from the form: only its fields show, a test message reaches the platform', async () => {
    const { page, problems } = await b.open(1280);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/channels/new`);
    // WeCom first: no chat id, no secret; Telegram: the chat id field appears.
    expect(await page.isVisible('input[name=chat_id]')).toBe(false);
    expect(await page.isVisible('input[name=secret]')).toBe(false);
    await page.selectOption('select[name=kind]', 'telegram');
    expect(await page.isVisible('input[name=chat_id]')).toBe(true);
    expect(await page.isVisible('input[name=keywords]')).toBe(false);
    await page.fill('input[name=name]', 'desk-telegram');
    await page.fill('input[name=url]', chat.url('telegram'));
    await Promise.all([page.waitForURL(`${base}/channels`), page.click('form.ch-form button[type=submit]')]);
    expect(await page.textContent('.field-error')).toContain('Telegram 通道需要 Chat ID');
    // The URL typed is kept for the retry (it was the operator's own input on this page).
    await page.fill('input[name=chat_id]', chat.telegramChatId);
    await Promise.all([page.waitForURL(/done=created/), page.click('form.ch-form button[type=submit]')]);
    expect(await page.textContent('.notice.info')).toContain('已添加通道 desk-telegram');
    expect(await page.textContent('main')).not.toContain(chat.token('telegram'));

    await Promise.all([page.waitForURL(/\/channels\/\d+$/), page.click('a.ch-name:text("desk-telegram")')]);
    await Promise.all([page.waitForLoadState(), page.click('form[action$="/test"] button')]);
    expect(await page.textContent('.ch-test')).toContain('平台已接受测试消息');
    expect(chat.received('telegram')).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  for (const width of [1280, 375]) {
    it(`shows channels, a channel's test refusal, alert rules and channel deliveries at ${width} px`, async () => {
      const { page, problems } = await b.open(width);
      await page.goto(`${base}/channels`);
      const main = (await page.textContent('main'))!;
      for (const label of ['企业微信', '飞书', '钉钉', 'Telegram', 'Webhook']) expect(main).toContain(label);
      expect(main).toContain(`${chat.origin}/…`);
      expect(main).not.toContain(chat.token('wecom'));
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-channels-${width}`);

      // A DingTalk robot whose secret is wrong: the platform's refusal, shown on the channel's page.
      await page.goto(`${base}/channels/${ids['desk-dingtalk']}`);
      await Promise.all([page.waitForLoadState(), page.click('form[action$="/test"] button')]);
      expect(await page.textContent('.ch-test')).toContain('310000');
      expect(await page.isVisible('input[name=keywords]')).toBe(true);
      expect(await page.isVisible('input[name=chat_id]')).toBe(false);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-channels-edit-${width}`);

      await page.goto(`${base}/alerts`);
      expect(await page.textContent('main')).toContain('贵州茅台发布 2026 年第三季度业绩预告');
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-alerts-${width}`);
      await page.goto(`${base}/alerts/new`);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-alerts-new-${width}`);

      await page.goto(`${base}/deliveries?edition=${DATE}#channels`);
      expect(await page.textContent('#channels')).toContain('dingtalk refused the signature (310000)');
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-channels-deliveries-${width}`);

      // Filtered by a group: the group's own channel and those without a group stay, with a line saying so.
      await page.goto(`${base}/deliveries?edition=${DATE}&group=${encodeURIComponent('研究部')}#channels`);
      const grouped = (await page.textContent('#channels'))!;
      expect(grouped).toContain('显示跟随分组 研究部 的通道');
      expect(grouped).toContain('research-wecom');
      expect(grouped).toContain('macro-feishu');
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-channels-deliveries-group-${width}`);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('resends a failed channel push from the deliveries page, after the confirmation', async () => {
    const { page } = await b.open(1280);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/deliveries?edition=${DATE}`);
    await Promise.all([
      page.waitForURL(/done=chRequeued/),
      page.click('#channels form[action="/deliveries/channel-resend"] button >> nth=0'),
    ]);
    expect(await page.textContent('.notice.info')).toContain('的推送已重新排队');
    expect(await page.textContent('#channels')).toContain('排队');
    await page.context().close();
  });
});
