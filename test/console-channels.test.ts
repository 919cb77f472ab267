import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../src/db/queries/audit.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import { channelLog, channels } from '../src/db/schema/index.ts';
import { silentLogger } from '../src/log.ts';
import { buildServer } from '../src/web/server.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, SECRET, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const HOSTILE = '<img src=x onerror=alert(1)>';

describe(`console: chat channels and their deliveries (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let chat: ChatPlatforms;
  let a: Client;
  let v: Client;
  let token: string;
  const jobs: { queue: string; id: string; data: unknown }[] = [];
  const channelByName = async (name: string) =>
    (await database.db.select().from(channels).where(eq(channels.name, name)))[0];

  beforeAll(async () => {
    database = await createTestDatabase();
    chat = await startChatPlatforms();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    const jobQueue = {
      add: async <T>(queue: string, list: { id: string; data: T }[]) => {
        for (const j of list) jobs.push({ queue, id: j.id, data: j.data });
      },
    };
    app = await buildServer({
      config: webConfig(),
      db: database.db,
      log: silentLogger(),
      secret: SECRET,
      jobQueue,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    a = new Client(base);
    await a.signIn('admin@example.com', PASSWORD);
    token = await a.csrf('/channels/new');
    v = new Client(base);
    await v.signIn('viewer@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await chat?.close();
    await database?.drop();
  });

  it('says what an empty channel list means and how to add one', async () => {
    const page = await v.get('/channels');
    expect(page.text).toContain('还没有推送通道：日报只发邮件。');
    expect(page.text).not.toContain('没有记录。');
  });

  it('adds a channel through the form: URL and secret sealed, listed redacted, never echoed', async () => {
    const url = chat.url('dingtalk');
    const secret = chat.secret('dingtalk')!;
    const ok = await a.post('/channels', {
      _csrf: token,
      name: 'research-ding',
      kind: 'dingtalk',
      url,
      secret,
      keywords: chat.keywords.join(';'),
      max_items: '8',
      group: '研究部',
      enabled: '1',
    });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/channels?done=created&name=research-ding');
    const row = (await channelByName('research-ding'))!;
    expect(row).toMatchObject({ kind: 'dingtalk', group: '研究部', enabled: true });
    expect(row.options).toEqual({ keywords: chat.keywords, maxItems: 8 });
    // Sealed: neither the robot's token nor the secret is in the row in clear.
    expect(row.urlSealed).not.toContain(chat.token('dingtalk'));
    expect(row.secretSealed).not.toBeNull();
    expect(row.secretSealed).not.toContain(secret);

    const list = await a.get('/channels?done=created&name=research-ding');
    expect(list.text).toContain('已添加通道 research-ding。');
    expect(list.text).toContain(`${chat.origin}/…`);
    expect(list.text).toContain('钉钉');
    expect(list.text).not.toContain(chat.token('dingtalk'));
    expect(list.text).not.toContain(secret);
    const edit = await a.get(`/channels/${row.id}`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('已设置。留空则保持不变');
    expect(edit.text).not.toContain(chat.token('dingtalk'));
    expect(edit.text).not.toContain(secret);
    const [audit] = await listAudit(database.db, { action: 'channel.add' });
    expect(audit).toMatchObject({ actor: 'user:admin@example.com', target: 'research-ding' });
    expect(JSON.stringify(audit!.detail)).not.toContain(secret);
    expect(JSON.stringify(audit!.detail)).not.toContain(chat.token('dingtalk'));
  });

  it('shows the store’s refusals inline, keeps what was typed but never the secret', async () => {
    const secret = 'SECtypedbutrefused0123456789';
    const bad = await a.post('/channels', {
      _csrf: token,
      name: 'ops-feishu',
      kind: 'feishu',
      url: 'ftp://open.feishu.cn/hook/abc',
      secret,
      group: HOSTILE,
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('请填写有效的 http(s) Webhook 地址');
    expect(bad.text).toMatch(/aria-invalid="true"[^>]*name="url"|name="url"[^>]*aria-invalid="true"/);
    expect(bad.text).toContain('value="ops-feishu"');
    expect(bad.text).not.toContain(secret);

    const tg = await a.post('/channels', { _csrf: token, name: 'tg', kind: 'telegram', url: chat.url('telegram') });
    expect(tg.status).toBe(400);
    expect(tg.text).toContain('Telegram 通道需要 Chat ID');
    const dup = await a.post('/channels', {
      _csrf: token,
      name: 'research-ding',
      kind: 'wecom',
      url: chat.url('wecom'),
    });
    expect(dup.status).toBe(400);
    expect(dup.text).toContain('不能与已有通道重名');
    // A hostile group is text, escaped (and refused here only for what the store refuses).
    const hostile = await a.post('/channels', {
      _csrf: token,
      name: 'hostile',
      kind: 'wecom',
      url: chat.url('wecom'),
      group: HOSTILE,
    });
    expect(hostile.status).toBe(303);
    expect((await a.get('/channels')).text).not.toContain(HOSTILE);
    expect(await channelByName('ops-feishu')).toBeUndefined();
    expect(await channelByName('tg')).toBeUndefined();
  });

  it('edits a channel: a blank URL and secret keep the stored ones; the secret can be removed', async () => {
    const before = (await channelByName('research-ding'))!;
    const saved = await a.post(`/channels/${before.id}`, {
      _csrf: token,
      name: 'research-ding',
      kind: 'dingtalk',
      url: '',
      secret: '',
      keywords: chat.keywords.join(';'),
      max_items: '',
      group: '',
    });
    expect(saved.status).toBe(303);
    const after = (await channelByName('research-ding'))!;
    expect(after.urlSealed).toBe(before.urlSealed);
    expect(after.secretSealed).toBe(before.secretSealed);
    expect(after.group).toBeNull();
    expect(after.options).toEqual({ keywords: chat.keywords });
    const [audit] = await listAudit(database.db, { action: 'channel.update' });
    expect(audit).toMatchObject({ target: 'research-ding' });

    const bad = await a.post(`/channels/${before.id}`, {
      _csrf: token,
      name: 'research-ding',
      kind: 'dingtalk',
      url: 'not a url',
      keywords: 'finrep',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('请填写有效的 http(s) Webhook 地址');
    expect((await channelByName('research-ding'))!.urlSealed).toBe(before.urlSealed);

    // The remove box drops the secret (a robot without signing); typing it again puts it back.
    const form = { _csrf: token, name: 'research-ding', kind: 'dingtalk', keywords: chat.keywords.join(';') };
    expect((await a.post(`/channels/${before.id}`, { ...form, secret_remove: '1' })).status).toBe(303);
    expect((await channelByName('research-ding'))!.secretSealed).toBeNull();
    expect((await a.get(`/channels/${before.id}`)).text).toContain('未设置。');
    expect((await a.post(`/channels/${before.id}`, { ...form, secret: chat.secret('dingtalk')! })).status).toBe(303);
    expect((await channelByName('research-ding'))!.secretSealed).not.toBeNull();
  });

  it('sends a test message and shows the platform’s reply — or its refusal', async () => {
    const ding = (await channelByName('research-ding'))!;
    const ok = await a.post(`/channels/${ding.id}/test`, { _csrf: token });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('平台已接受测试消息（HTTP 200）');
    expect(ok.text).toContain('errcode');
    expect(chat.received('dingtalk')).toHaveLength(1);

    // A Feishu robot with the wrong signing secret: the platform refuses the signature, the page says so.
    await a.post('/channels', {
      _csrf: token,
      name: 'ops-feishu',
      kind: 'feishu',
      url: chat.url('feishu'),
      secret: 'not-the-robot-secret',
      enabled: '1',
    });
    const feishu = (await channelByName('ops-feishu'))!;
    const refused = await a.post(`/channels/${feishu.id}/test`, { _csrf: token });
    expect(refused.status).toBe(200);
    expect(refused.text).toContain('测试消息发送失败');
    expect(refused.text).toContain('19021');
    expect(refused.text).not.toContain('not-the-robot-secret');
    expect(chat.received('feishu')).toHaveLength(0);
    const tests = await listAudit(database.db, { action: 'channel.test' });
    expect(tests.map((t) => t.target).sort()).toEqual(['ops-feishu', 'research-ding']);
  });

  it('enables, disables and deletes — each audited; a viewer sees the list and cannot change anything', async () => {
    const hostile = (await channelByName('hostile'))!;
    const off = await a.post(`/channels/${hostile.id}/enabled`, { _csrf: token, enabled: '0' });
    expect(off.location).toBe('/channels?done=disabled&name=hostile');
    expect((await channelByName('hostile'))!.enabled).toBe(false);

    const page = await v.get('/channels');
    expect(page.status).toBe(200);
    expect(page.text).toContain('research-ding');
    expect(page.text).not.toContain('/channels/new');
    expect(page.text).not.toContain(`action="/channels/${hostile.id}/enabled"`);
    const vt = await v.csrf('/account');
    expect((await v.get('/channels/new')).status).toBe(403);
    expect((await v.post('/channels', { _csrf: vt, name: 'v', kind: 'wecom', url: chat.url('wecom') })).status).toBe(
      403,
    );
    expect((await v.post(`/channels/${hostile.id}/delete`, { _csrf: vt })).status).toBe(403);
    expect((await v.post(`/channels/${hostile.id}/test`, { _csrf: vt })).status).toBe(403);
    const viewerEdit = await v.get(`/channels/${hostile.id}`);
    expect(viewerEdit.text).toContain('<fieldset disabled=""');

    // CSRF: a form without the token (or with another session's) changes nothing.
    expect((await a.post(`/channels/${hostile.id}/delete`, {})).status).toBe(403);
    expect((await a.post(`/channels/${hostile.id}/delete`, { _csrf: 'forged' })).status).toBe(403);
    expect(await channelByName('hostile')).toBeDefined();

    expect((await a.post(`/channels/${hostile.id}/delete`, { _csrf: token })).status).toBe(303);
    expect(await channelByName('hostile')).toBeUndefined();
    expect((await listAudit(database.db, { action: 'channel.remove' }))[0]).toMatchObject({ target: 'hostile' });
    expect((await a.post(`/channels/${hostile.id}/delete`, { _csrf: token })).status).toBe(404);
  });

  it('says so after enabling or disabling a channel from its own page', async () => {
    const feishu = (await channelByName('ops-feishu'))!;
    const back = `/channels/${feishu.id}`;
    const off = await a.post(`/channels/${feishu.id}/enabled`, { _csrf: token, enabled: '0', back });
    expect(off.location).toBe(`${back}?done=disabled&name=ops-feishu`);
    const offPage = await a.get(off.location!);
    expect(offPage.text).toContain('已停用：重新启用之前，此通道不再收到日报和盘中预警。');
    expect(offPage.text).not.toContain('已启用：');
    const on = await a.post(`/channels/${feishu.id}/enabled`, { _csrf: token, enabled: '1', back });
    expect(on.location).toBe(`${back}?done=enabled&name=ops-feishu`);
    expect((await a.get(on.location!)).text).toContain('已启用：之后的日报和盘中预警会推送到此通道。');
    expect((await channelByName('ops-feishu'))!.enabled).toBe(true);
    // Only the two codes make a notice: anything else in the query shows none (and never its own text).
    const forged = await a.get(`${back}?done=${encodeURIComponent(HOSTILE)}`);
    expect(forged.status).toBe(200);
    expect(forged.text).not.toContain(HOSTILE);
    expect(forged.text).not.toContain('已停用：');
  });

  it('shows an edition’s channel rows beside the mail and puts a failed one back in the queue', async () => {
    const date = '2026-12-04';
    const ed = await editionsQ.ensureEdition(
      database.db,
      date,
      new Date(`${date}T00:00:00Z`),
      new Date(`${date}T01:00:00Z`),
    );
    const ding = (await channelByName('research-ding'))!;
    const feishu = (await channelByName('ops-feishu'))!;
    const [sent, failed] = await database.db
      .insert(channelLog)
      .values([
        {
          editionId: ed.id,
          channelId: ding.id,
          channelName: ding.name,
          status: 'sent',
          attempts: 1,
          parts: 2,
          partsSent: 2,
          replyCode: 200,
          lastReply: '{"errcode":0,"errmsg":"ok"}',
          sentAt: new Date(`${date}T22:05:00Z`),
        },
        {
          editionId: ed.id,
          channelId: feishu.id,
          channelName: feishu.name,
          status: 'failed',
          attempts: 3,
          parts: 3,
          partsSent: 1,
          replyCode: 200,
          lastReply: '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}',
          error: 'feishu refused the signature (19021)',
        },
      ])
      .returning();
    // The edition has channel rows only (no mail): it is still the latest one the page offers and shows.
    const latest = await a.get('/deliveries');
    expect(latest.text).toContain(`<option value="${date}">`);
    expect(latest.text).toContain('1 / 3');
    const page = await a.get(`/deliveries?edition=${date}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="channels"');
    expect(page.text).toContain('research-ding');
    expect(page.text).toContain('2 / 2');
    expect(page.text).toContain('1 / 3');
    expect(page.text).toContain('feishu refused the signature (19021)');
    expect(page.text).toContain(`name="id" value="${failed!.id}"`);
    expect(page.text).not.toContain(`name="id" value="${sent!.id}"`);
    const failedOnly = await a.get(`/deliveries?edition=${date}&status=failed`);
    expect(failedOnly.text).toContain('ops-feishu');
    expect(failedOnly.text).not.toContain('2 / 2');

    const resend = await a.post('/deliveries/channel-resend', {
      _csrf: token,
      id: String(failed!.id),
      back: `/deliveries?edition=${date}`,
    });
    expect(resend.status).toBe(303);
    expect(resend.location).toBe(`/deliveries?edition=${date}&done=chRequeued&channel=ops-feishu&send=queued`);
    const [again] = await database.db.select().from(channelLog).where(eq(channelLog.id, failed!.id));
    expect(again).toMatchObject({ status: 'queued', attempts: 0, resends: 1, partsSent: 1 });
    expect(jobs.at(-1)).toMatchObject({ queue: 'deliver', data: { editionId: ed.id, date } });
    expect((await a.get(resend.location!)).text).toContain('通道 ops-feishu 的推送已重新排队。');
    expect((await listAudit(database.db, { action: 'channel.resend' }))[0]).toMatchObject({ target: 'ops-feishu' });

    // A sent row is not sent again from here; a viewer cannot resend.
    const none = await a.post('/deliveries/channel-resend', { _csrf: token, id: String(sent!.id) });
    expect(none.location).toBe('/deliveries?done=nothing');
    const vt = await v.csrf('/account');
    expect((await v.post('/deliveries/channel-resend', { _csrf: vt, id: String(failed!.id) })).status).toBe(403);
  });

  it('keeps the channels a group follows when filtering by group, and says a recipient filter leaves them', async () => {
    const date = '2026-12-04'; // research-ding and ops-feishu (no group) have rows (test above)
    await database.db.update(channels).set({ group: '研究部' }).where(eq(channels.name, 'research-ding'));
    const ding = (await channelByName('research-ding'))!;
    const feishu = (await channelByName('ops-feishu'))!;
    const link = (c: { id: number }) => `href="/channels/${c.id}"`;
    const research = await a.get(`/deliveries?edition=${date}&group=${encodeURIComponent('研究部')}`);
    expect(research.status).toBe(200);
    expect(research.text).toContain(link(ding));
    expect(research.text).toContain(link(feishu)); // without a group it follows every edition
    expect(research.text).toContain('显示跟随分组 研究部 的通道');
    expect(research.text).toContain('分组 研究部');
    const trading = await a.get(`/deliveries?edition=${date}&group=${encodeURIComponent('交易部')}`);
    expect(trading.text).toContain(link(feishu));
    expect(trading.text).not.toContain(link(ding));
    expect(trading.text).toContain('<option value="交易部" selected="">'); // no recipient has it: the filter still says so
    const hostile = await a.get(`/deliveries?edition=${date}&group=${encodeURIComponent(HOSTILE)}`);
    expect(hostile.status).toBe(200);
    expect(hostile.text).not.toContain(HOSTILE);

    const byRecipient = await a.get(`/deliveries?edition=${date}&recipient=nobody%40example.com`);
    expect(byRecipient.text).toContain(link(ding));
    expect(byRecipient.text).toContain(link(feishu));
    expect(byRecipient.text).toContain('收件人筛选只作用于邮件，推送通道不受影响。');
    const unfiltered = await a.get(`/deliveries?edition=${date}`);
    expect(unfiltered.text).not.toContain('ch-filter-note');
  });
});
