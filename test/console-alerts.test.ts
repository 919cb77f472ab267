import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannel } from '../src/channels/store.ts';
import { listAudit } from '../src/db/queries/audit.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import { alertLog, alertRules, alertRunSkips, opsAlertLog, runs, storyClusters } from '../src/db/schema/index.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, SECRET, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const HOSTILE = '<script>alert(1)</script>茅台';

describe(`console: intraday alert rules and their firings (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let a: Client;
  let v: Client;
  let token: string;
  let wecomId: number;
  const ruleByName = async (name: string) =>
    (await database.db.select().from(alertRules).where(eq(alertRules.name, name)))[0];

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    wecomId = (
      await addChannel(database.db, SECRET, {
        name: 'desk-wecom',
        kind: 'wecom',
        url: 'http://127.0.0.1:9/cgi-bin/webhook/send?key=k',
      })
    ).id;
    await addChannel(database.db, SECRET, {
      name: 'ops-tg',
      kind: 'telegram',
      url: 'http://127.0.0.1:9/botX/sendMessage',
      options: { chatId: '-1001234567890' },
    });
    let base: string;
    ({ app, base } = await startTestServer(database.db, webConfig({ OPS_ALERT_CHANNELS: 'ops-tg' })));
    a = new Client(base);
    await a.signIn('admin@example.com', PASSWORD);
    token = await a.csrf('/alerts/new');
    v = new Client(base);
    await v.signIn('viewer@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const form = (over: Record<string, string>) => ({
    _csrf: token,
    name: 'moutai',
    tickers: '600519.sh；0700.HK',
    companies: '贵州茅台',
    keywords: '',
    min_importance: '3',
    sentiment: 'negative',
    mail_groups: '',
    quiet: '22:00-07:00',
    daily_cap: '5',
    enabled: '1',
    ...over,
  });

  it('says what an empty rule list means and how to add one', async () => {
    const page = await v.get('/alerts?lang=en');
    expect(page.text).toContain('No alert rule yet.');
    await v.get('/alerts?lang=zh-CN');
  });

  it('offers the configured channels as boxes and adds a rule, or marks the refused field', async () => {
    const blank = await a.get('/alerts/new');
    expect(blank.text).toContain('name="channels" value="desk-wecom"');
    expect(blank.text).toContain('name="channels" value="ops-tg"');

    const noTarget = await a.post('/alerts', form({}));
    expect(noTarget.status).toBe(400);
    expect(noTarget.text).toContain('至少选择一个推送通道或填写一个邮件分组');
    const ticker = await a.post('/alerts', { ...form({ tickers: '贵州茅台!!' }), channels: 'desk-wecom' });
    expect(ticker.status).toBe(400);
    expect(ticker.text).toContain('股票代码格式不对');
    expect(ticker.text).toContain('value="贵州茅台!!"');
    const quiet = await a.post('/alerts', { ...form({ quiet: '25:00-07:00' }), channels: 'desk-wecom' });
    expect(quiet.text).toContain('格式为 HH:MM-HH:MM');
    expect(await ruleByName('moutai')).toBeUndefined();

    const ok = await a.post('/alerts', { ...form({ mail_groups: '研究部;投资部' }), channels: 'desk-wecom' });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/alerts?done=created&name=moutai');
    expect(await ruleByName('moutai')).toMatchObject({
      tickers: ['600519.SH', '0700.HK'],
      companies: ['贵州茅台'],
      minImportance: 3,
      sentiment: 'negative',
      channelIds: [wecomId],
      mailGroups: ['研究部', '投资部'],
      quietFrom: '22:00',
      quietTo: '07:00',
      dailyCap: 5,
      enabled: true,
    });
    const list = await a.get(ok.location!);
    expect(list.text).toContain('已添加规则 moutai。');
    expect(list.text).toContain('600519.SH');
    expect(list.text).toContain('desk-wecom');
    expect(list.text).toContain('22:00–07:00');
    expect((await listAudit(database.db, { action: 'alert.add' }))[0]).toMatchObject({
      actor: 'user:admin@example.com',
      target: 'moutai',
    });
  });

  it('edits a rule (two channels ticked), turns it off, deletes it — audited; a viewer only reads', async () => {
    const rule = (await ruleByName('moutai'))!;
    const edit = await a.get(`/alerts/${rule.id}`);
    expect(edit.text).toMatch(/value="desk-wecom" checked=""|checked="" value="desk-wecom"/);
    // Two ticked boxes: the field twice in the body.
    const body = new URLSearchParams(
      form({ keywords: HOSTILE, sentiment: '', min_importance: '0', quiet: '', mail_groups: '*' }),
    );
    body.append('channels', 'desk-wecom');
    body.append('channels', 'ops-tg');
    const saved = await fetch(`${a.base}/alerts/${rule.id}`, {
      method: 'POST',
      body,
      headers: { cookie: [...a.cookies].map(([k, val]) => `${k}=${val}`).join('; ') },
      redirect: 'manual',
    });
    expect(saved.status).toBe(303);
    const after = (await ruleByName('moutai'))!;
    expect(after.channelIds).toHaveLength(2);
    expect(after).toMatchObject({ sentiment: null, minImportance: 0, quietFrom: null, mailGroups: ['*'] });
    const [audit] = await listAudit(database.db, { action: 'alert.update' });
    expect(audit!.detail).toMatchObject({ before: { sentiment: 'negative' }, after: { sentiment: null } });
    const page = await a.get('/alerts');
    expect(page.text).not.toContain(HOSTILE);
    expect(page.text).toContain('全部收件人');

    const vt = await v.csrf('/account');
    expect((await v.get('/alerts')).status).toBe(200);
    expect((await v.get('/alerts/new')).status).toBe(403);
    expect((await v.post(`/alerts/${rule.id}`, { ...form({}), _csrf: vt, channels: 'desk-wecom' })).status).toBe(403);
    expect((await v.post(`/alerts/${rule.id}/delete`, { _csrf: vt })).status).toBe(403);
    expect((await a.post(`/alerts/${rule.id}/delete`, {})).status).toBe(403);

    const off = await a.post(`/alerts/${rule.id}/enabled`, { _csrf: token, enabled: '0' });
    expect(off.location).toBe('/alerts?done=disabled&name=moutai');
    expect((await ruleByName('moutai'))!.enabled).toBe(false);
    expect(await listAudit(database.db, { action: 'alert.disable' })).toHaveLength(1);
    expect((await a.post(`/alerts/${rule.id}/delete`, { _csrf: token })).status).toBe(303);
    expect(await ruleByName('moutai')).toBeUndefined();
    expect((await listAudit(database.db, { action: 'alert.remove' }))[0]).toMatchObject({ target: 'moutai' });
  });

  it('lists the recent firings: time, rule, story link, status, reason and each target’s outcome', async () => {
    await a.post('/alerts', { ...form({ name: 'tencent', tickers: '0700.HK' }), channels: 'desk-wecom' });
    const rule = (await ruleByName('tencent'))!;
    const at = new Date('2026-12-05T02:30:00Z');
    const [story, quiet] = await database.db
      .insert(storyClusters)
      .values([
        { title: '腾讯控股公布回购计划 <b>', firstSeenAt: at, lastSeenAt: at },
        { title: '腾讯夜间公告', firstSeenAt: at, lastSeenAt: at },
      ])
      .returning({ id: storyClusters.id });
    await database.db.insert(alertLog).values([
      {
        ruleId: rule.id,
        storyId: story!.id,
        day: '2026-12-05',
        status: 'failed',
        reason: null,
        targets: [
          { target: 'channel:desk-wecom', status: 'sent', error: null, at: at.toISOString() },
          { target: 'mail:研究部', status: 'failed', error: '550 mailbox unavailable', at: at.toISOString() },
        ],
      },
      { ruleId: rule.id, storyId: quiet!.id, day: '2026-12-05', status: 'suppressed', reason: 'quiet hours' },
    ]);
    for (const path of ['/alerts', `/alerts/${rule.id}`]) {
      const page = await a.get(path);
      expect(page.text).toContain(`href="/stories/${story!.id}"`);
      expect(page.text).toContain('腾讯控股公布回购计划 &lt;b&gt;');
      expect(page.text).toContain('channel:desk-wecom');
      expect(page.text).toContain('550 mailbox unavailable');
      expect(page.text).toContain('已抑制');
      expect(page.text).toContain('quiet hours');
    }
  });

  it('lists the operational incidents: kind, subject, opened, resolved and each push', async () => {
    const at = new Date('2026-12-05T02:30:00Z');
    await database.db.insert(opsAlertLog).values([
      {
        key: 'source-failing:7:never',
        kind: 'source-failing',
        severity: 'warning',
        subject: `信源 ${HOSTILE}`,
        message: 'failing',
        status: 'sent',
        openedAt: at,
        targets: [
          { target: 'channel:ops-tg', status: 'failed', error: 'Telegram 400 (chat not found)', at: at.toISOString() },
          { target: 'mail:ops@example.com', status: 'sent', error: null, at: at.toISOString() },
        ],
      },
      {
        key: 'edition-late:2026-12-04',
        kind: 'edition-late',
        severity: 'critical',
        subject: '日报 2026-12-04',
        message: 'late',
        status: 'sent',
        openedAt: at,
        resolvedAt: new Date(at.getTime() + 3_600_000),
        resolveStatus: 'sent',
      },
    ]);
    for (const client of [a, v]) {
      const page = await client.get('/alerts');
      expect(page.status).toBe(200);
      const section = page.text.slice(page.text.indexOf('id="ops"'));
      expect(section).toContain('运维告警');
      expect(section).toContain('推送到：ops-tg');
      expect(section).toContain('信源失败');
      expect(section).toContain('日报逾期');
      expect(section).toContain('&lt;script&gt;alert(1)&lt;/script&gt;茅台');
      expect(section).not.toContain('<script>alert(1)');
      expect(section).toContain('Telegram 400 (chat not found)');
      expect(section).toContain('未恢复');
    }
  });
  it('lists the alert runs skipped while another was live: when, the run holding, its process, who fired; the run page too', async () => {
    const empty = await v.get('/alerts');
    expect(empty.text.slice(empty.text.indexOf('id="skipped"'))).toContain('没有被跳过的预警运行。');
    const edition = await editionsQ.ensureEdition(
      database.db,
      '2026-12-08',
      new Date('2026-12-07T22:00Z'),
      new Date('2026-12-08T22:00Z'),
    );
    const [held] = await database.db
      .insert(runs)
      .values({ editionId: edition.id, trigger: 'alerts', status: 'running', worker: 'worker-a:4242' })
      .returning({ id: runs.id });
    await database.db.insert(alertRunSkips).values([
      { runId: held!.id, worker: 'worker-b:31', jobId: 'repeat:intraday-alerts:1' },
      { runId: held!.id, worker: null, jobId: null },
    ]);
    for (const client of [a, v]) {
      const page = await client.get('/alerts');
      expect(page.status).toBe(200);
      const section = page.text.slice(page.text.indexOf('id="skipped"'), page.text.indexOf('id="ops"'));
      expect(section).toContain('跳过的预警运行');
      expect(section.match(new RegExp(`href="/runs/${held!.id}"`, 'g'))).toHaveLength(2);
      expect(section).toContain('worker-a:4242');
      expect(section).toContain('worker-b:31');
      expect(section).toContain('任务 repeat:intraday-alerts:1');
      expect(section).toContain('finrep alerts run（排队）');
    }
    // The holding run's own page says so, and links the list.
    const runPage = await v.get(`/runs/${held!.id}`);
    expect(runPage.text).toContain('它运行期间，2 次预警运行被跳过');
    expect(runPage.text).toContain('href="/alerts#skipped"');
  });
});
