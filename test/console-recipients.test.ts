import type { FastifyInstance } from 'fastify';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../src/db/queries/audit.ts';
import { deliveriesQ, editionsQ, recipientsQ } from '../src/db/queries/index.ts';
import { deliveryLog, recipients } from '../src/db/schema/index.ts';
import type { DeliveryStatus } from '../src/db/schema/index.ts';
import { silentLogger } from '../src/log.ts';
import { buildServer } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, SECRET, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const HOSTILE = '<img src=x onerror=alert(1)>';

/** A multipart POST (a file input's form) with the client's cookies. */
async function upload(
  c: Client,
  path: string,
  fields: Record<string, string>,
  file?: { name: string; text: string | Buffer },
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  if (file)
    form.set('file', new Blob([typeof file.text === 'string' ? file.text : new Uint8Array(file.text)]), file.name);
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${c.base}${path}`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

/** The value of a hidden input of a page. */
const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
describe(`console: recipients and deliveries (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  const admin = () => new Client(base);
  let a: Client;
  let token: string;
  const jobs: { queue: string; id: string; data: unknown }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    // The embedded process's own queue, recorded: a retry must hand its edition to a deliver job.
    const jobQueue = {
      add: async <T>(queue: string, list: { id: string; data: T }[]) => {
        for (const j of list) jobs.push({ queue, id: j.id, data: j.data });
      },
    };
    app = await buildServer({ config: webConfig(), db: database.db, log: silentLogger(), secret: SECRET, jobQueue });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    a = admin();
    await a.signIn('admin@example.com', PASSWORD);
    token = await a.csrf('/recipients/new');
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('adds a recipient, or shows the shared validator errors inline and adds nothing', async () => {
    const bad = await a.post('/recipients', { _csrf: token, email: 'li＠example.com', name: '李四', groups: '研究部' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('全角 ＠，请写半角 @');
    expect(bad.text).toMatch(
      /aria-invalid="true"[^>]*value="li＠example.com"|value="li＠example.com"[^>]*aria-invalid/,
    );
    const domain = await a.post('/recipients', { _csrf: token, email: 'li@example', name: '', groups: '' });
    expect(domain.text).toContain('域名无效: example');
    expect(await recipientsQ.countRecipients(database.db)).toBe(0);

    const ok = await a.post('/recipients', {
      _csrf: token,
      email: ' Li.Si@Example.COM ',
      name: '李四',
      groups: '研究部；投资部',
    });
    expect(ok.status).toBe(303);
    const row = await recipientsQ.findRecipientByEmail(database.db, 'li.si@example.com');
    expect(row).toMatchObject({ name: '李四', groups: ['投资部', '研究部'], enabled: true });
    expect((await listAudit(database.db, { action: 'recipient.add' }))[0]).toMatchObject({
      target: 'li.si@example.com',
    });

    const again = await a.post('/recipients', { _csrf: token, email: 'li.si@example.com', name: 'x', groups: '' });
    expect(again.status).toBe(400);
    expect(again.text).toContain('这个地址已经在收件人中');
    expect(again.text).toContain(`href="/recipients/${row!.id}"`);
  });

  it('edits name and groups with inline errors; enables, disables, deletes — each audited', async () => {
    await recipientsQ.upsertRecipients(database.db, [{ email: 'wang@example.com', name: '王五', groups: ['a'] }]);
    const r = (await recipientsQ.findRecipientByEmail(database.db, 'wang@example.com'))!;
    const long = await a.post(`/recipients/${r.id}`, { _csrf: token, name: 'x'.repeat(201), groups: 'a' });
    expect(long.status).toBe(400);
    expect(long.text).toContain('姓名最长 200 个字符');
    const saved = await a.post(`/recipients/${r.id}`, { _csrf: token, name: '王五五', groups: '宏观组|固收组' });
    expect(saved.status).toBe(303);
    expect(await recipientsQ.getRecipient(database.db, r.id)).toMatchObject({
      name: '王五五',
      groups: ['宏观组', '固收组'],
    });
    const [edit] = await listAudit(database.db, { action: 'recipient.edit' });
    expect(edit!.detail).toMatchObject({ before: { name: '王五', groups: ['a'] }, after: { name: '王五五' } });

    const off = await a.post(`/recipients/${r.id}/enabled`, {
      _csrf: token,
      enabled: '0',
      back: '/recipients?group=a',
    });
    expect(off.location).toBe('/recipients?group=a&done=disabled&email=wang%40example.com');
    expect((await recipientsQ.getRecipient(database.db, r.id))!.enabled).toBe(false);
    expect(await listAudit(database.db, { action: 'recipient.disable' })).toHaveLength(1);
    // `back` never leaves the site.
    const away = await a.post(`/recipients/${r.id}/enabled`, { _csrf: token, enabled: '1', back: '//evil.example/x' });
    expect(away.location).toMatch(/^\/\?done=enabled/);

    expect((await a.post(`/recipients/${r.id}/delete`, { _csrf: token })).status).toBe(303);
    expect(await recipientsQ.getRecipient(database.db, r.id)).toBeNull();
    expect((await listAudit(database.db, { action: 'recipient.delete' }))[0]).toMatchObject({
      target: 'wang@example.com',
    });
    expect((await a.post(`/recipients/${r.id}/delete`, { _csrf: token })).status).toBe(404);
  });

  it('shows an unsubscribe, and subscribes again only on an admin action with a reason, audited', async () => {
    await recipientsQ.upsertRecipients(database.db, [{ email: 'gone@example.com', name: null, groups: [] }]);
    const r = (await recipientsQ.findRecipientByEmail(database.db, 'gone@example.com'))!;
    await recipientsQ.unsubscribeRecipient(database.db, r.id, r.email);
    // An edit (like an import) leaves the unsubscribe alone.
    await a.post(`/recipients/${r.id}`, { _csrf: token, name: 'Gone', groups: '' });
    expect((await recipientsQ.getRecipient(database.db, r.id))!.unsubscribedAt).not.toBeNull();
    const page = await a.get(`/recipients/${r.id}`);
    expect(page.text).toContain('通过邮件中的退订链接退订');

    const noReason = await a.post(`/recipients/${r.id}/resubscribe`, { _csrf: token, reason: '  ' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('请写明原因');
    expect((await recipientsQ.getRecipient(database.db, r.id))!.unsubscribedAt).not.toBeNull();

    await a.post(`/recipients/${r.id}/resubscribe`, { _csrf: token, reason: '本人 12 月 5 日邮件要求恢复' });
    expect((await recipientsQ.getRecipient(database.db, r.id))!.unsubscribedAt).toBeNull();
    const [entry] = await listAudit(database.db, { action: 'recipient.resubscribe' });
    expect(entry).toMatchObject({ actor: 'user:admin@example.com', target: 'gone@example.com' });
    expect(entry!.detail).toMatchObject({ reason: '本人 12 月 5 日邮件要求恢复', after: { unsubscribed_at: null } });
  });

  it('filters by group, state and text, pages, and shows hostile names as text', async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      email: `r${String(i).padStart(3, '0')}@bulk.example.com`,
      name: i === 7 ? HOSTILE : `收件人${i}`,
      groups: i % 2 ? ['odd'] : ['even'],
    }));
    await recipientsQ.upsertRecipients(database.db, many);
    await recipientsQ.setRecipientEnabled(database.db, 'r003@bulk.example.com', false);

    const odd = await a.get('/recipients?group=odd&q=bulk');
    expect(odd.text).toContain('60 位收件人');
    expect(odd.text).toContain('第 1 页，共 2 页（60 条）');
    const third = await a.get('/recipients?q=bulk.example&page=3');
    expect(third.text).toContain('r100@bulk.example.com');
    expect(third.text).not.toContain('r099@bulk.example.com');
    const disabled = await a.get('/recipients?enabled=0');
    expect(disabled.text).toContain('r003@bulk.example.com');
    expect(disabled.text).not.toContain('r005@bulk.example.com');
    // `%` and `_` are searched literally.
    expect((await a.get('/recipients?q=%25')).text).toContain('0 位收件人');

    const hostile = await a.get('/recipients?q=r007');
    expect(hostile.text).not.toContain(HOSTILE);
    expect(hostile.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('a CSV with one bad line imports nothing and names the line; a good one is previewed, then imported', async () => {
    const before = await recipientsQ.countRecipients(database.db);
    const bad =
      'email,name,groups\nzhao@example.com,赵六,研究部\nqian＠example.com,钱七,研究部\nsun@example.com,孙八,\n';
    const preview = await upload(a, '/recipients/import', { _csrf: token }, { name: 'bad.csv', text: bad });
    expect(preview.status).toBe(400);
    expect(preview.text).toContain('文件有 1 行错误，没有导入任何收件人');
    expect(preview.text).toMatch(/class="rcp-line">3</);
    expect(preview.text).toContain('全角 ＠，请写半角 @');
    // The apply step refuses it too (a forged form): the transaction writes nothing.
    const forced = await upload(a, '/recipients/import/apply', {
      _csrf: token,
      name: 'bad.csv',
      csv: Buffer.from(bad).toString('base64'),
    });
    expect(forced.status).toBe(400);
    expect(await recipientsQ.countRecipients(database.db)).toBe(before);

    const good = 'email,name,groups\nzhao@example.com,赵六,研究部\nli.si@example.com,,新组\nzhao@example.com,,宏观组\n';
    const seen = await upload(a, '/recipients/import', { _csrf: token }, { name: '收件人.csv', text: good });
    expect(seen.status).toBe(200);
    expect(seen.text).toContain('将新增 1 位');
    expect(seen.text).toContain('将更新 1 位');
    expect(seen.text).toContain('第 2, 4 行');
    expect(await recipientsQ.countRecipients(database.db)).toBe(before);
    const done = await upload(a, '/recipients/import/apply', {
      _csrf: hidden(seen.text, '_csrf'),
      name: hidden(seen.text, 'name'),
      csv: hidden(seen.text, 'csv'),
    });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/recipients?done=imported&created=1&updated=1');
    expect(await recipientsQ.findRecipientByEmail(database.db, 'zhao@example.com')).toMatchObject({
      name: '赵六',
      groups: ['宏观组', '研究部'],
    });
    expect((await recipientsQ.findRecipientByEmail(database.db, 'li.si@example.com'))!.groups).toContain('新组');
    expect((await listAudit(database.db, { action: 'recipient.import' }))[0]).toMatchObject({
      target: '收件人.csv',
      detail: expect.objectContaining({ created: 1, updated: 1 }),
    });
    // Neither a viewer nor a form without the CSRF token gets to upload.
    const v = new Client(base);
    await v.signIn('viewer@example.com', PASSWORD);
    expect(
      (await upload(v, '/recipients/import', { _csrf: await v.csrf('/recipients') }, { name: 'x.csv', text: good }))
        .status,
    ).toBe(403);
    expect((await upload(a, '/recipients/import', {}, { name: 'x.csv', text: good })).status).toBe(403);
    expect((await upload(new Client(base), '/recipients/import', {}, { name: 'x.csv', text: good })).status).toBe(401);
  });

  it('exports UTF-8 with BOM, guards formula cells, and the export imports back unchanged', async () => {
    await recipientsQ.upsertRecipients(database.db, [
      { email: 'formula@example.com', name: '=HYPERLINK("http://evil.example","点我")', groups: ['+x', '研究部'] },
      { email: '-dash@example.com', name: '@SUM(1,2)', groups: ['-负'] },
    ]);
    const res = await a.get('/recipients/export.csv?q=example.com');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="recipients-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const bytes = Buffer.from(
      await (
        await fetch(`${base}/recipients/export.csv?q=example.com`, {
          headers: { cookie: [...a.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        })
      ).arrayBuffer(),
    );
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text).toContain(`formula@example.com,"'=HYPERLINK(""http://evil.example"",""点我"")",'+x;研究部\r\n`);
    expect(text).toContain(`'-dash@example.com,"'@SUM(1,2)",'-负\r\n`);
    for (const line of text.slice(1).split('\r\n').filter(Boolean))
      for (const cell of line
        .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
        .map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')))
        expect(cell, line).not.toMatch(/^[=+\-@]/);

    // Round trip: importing the export changes nothing.
    const snapshot = async () =>
      (await recipientsQ.listRecipients(database.db)).map((r) => ({ email: r.email, name: r.name, groups: r.groups }));
    const was = await snapshot();
    const seen = await upload(a, '/recipients/import', { _csrf: token }, { name: 'export.csv', text: bytes });
    expect(seen.status).toBe(200);
    expect(seen.text).toContain('将新增 0 位');
    const csv = hidden(seen.text, 'csv');
    expect(Buffer.from(csv, 'base64').equals(bytes)).toBe(true);
    await upload(a, '/recipients/import/apply', { _csrf: token, name: 'export.csv', csv });
    expect(await snapshot()).toEqual(was);
    expect(was.find((r) => r.email === 'formula@example.com')!.name).toBe('=HYPERLINK("http://evil.example","点我")');
  });

  describe('deliveries', () => {
    const emails = ['d1@example.com', 'd2@example.com', 'd3@example.com', 'd4@example.com'];
    let ids: Record<string, number>;
    const status = async (date: string, email: string) => {
      const ed = (await deliveriesQ.findEditionByDate(database.db, date))!;
      const [row] = await database.db
        .select()
        .from(deliveryLog)
        .where(and(eq(deliveryLog.editionId, ed.id), eq(deliveryLog.email, email)));
      return row!;
    };

    beforeAll(async () => {
      await recipientsQ.upsertRecipients(
        database.db,
        emails.map((email, i) => ({
          email,
          name: i === 0 ? HOSTILE : `投递${i}`,
          groups: i < 2 ? ['desk'] : ['other'],
        })),
      );
      const rows = await database.db.select({ id: recipients.id, email: recipients.email }).from(recipients);
      ids = Object.fromEntries(rows.map((r) => [r.email, r.id]));
      const set: [string, DeliveryStatus[]][] = [
        ['2026-12-04', ['sent', 'failed', 'sent', 'sent']],
        ['2026-12-05', ['failed', 'uncertain', 'failed', 'uncertain']],
      ];
      for (const [date, statuses] of set) {
        const ed = await editionsQ.ensureEdition(
          database.db,
          date,
          new Date(`${date}T00:00:00Z`),
          new Date(`${date}T01:00:00Z`),
        );
        await deliveriesQ.queueDeliveries(
          database.db,
          ed.id,
          emails.map((email) => ({ recipientId: ids[email]!, email })),
        );
        for (const [i, s] of statuses.entries())
          await database.db
            .update(deliveryLog)
            .set({
              status: s,
              attempts: 1,
              messageId: `<m${i}@finrep>`,
              lastReply: s === 'failed' ? '550 5.1.1 no such user' : null,
            })
            .where(and(eq(deliveryLog.editionId, ed.id), eq(deliveryLog.email, emails[i]!)));
      }
    });

    it('lists the latest edition by default, filters by edition, status, recipient and group', async () => {
      const latest = await a.get('/deliveries');
      expect(latest.status).toBe(200);
      expect(latest.text).toContain('重试本期全部失败（2）');
      expect(latest.text.match(/<tr>/g)).toHaveLength(5); // head + 4 rows of 2026-12-05
      expect(latest.text).not.toContain(HOSTILE);
      expect(latest.text).toContain('&lt;img src=x');
      const failed = await a.get('/deliveries?edition=all&status=failed');
      expect(failed.text.match(/550 5.1.1 no such user/g)).toHaveLength(3);
      const one = await a.get('/deliveries?edition=2026-12-04&status=failed');
      expect(one.text).toContain('d2@example.com');
      expect(one.text).not.toContain('d1@example.com');
      const desk = await a.get('/deliveries?edition=2026-12-05&group=desk&status=uncertain');
      expect(desk.text).toContain('d2@example.com');
      expect(desk.text).not.toContain('d4@example.com');
      const who = await a.get('/deliveries?edition=all&recipient=d3@');
      expect(who.text.match(/d3@example.com/g)!.length).toBeGreaterThanOrEqual(2);
      expect(who.text).not.toContain('d1@example.com');
    });

    it('retries one failed row, then all failed of an edition, through requeueForResend and a deliver job', async () => {
      jobs.length = 0;
      const one = await a.post('/deliveries/retry', {
        _csrf: token,
        edition: '2026-12-05',
        email: 'd1@example.com',
        back: '/deliveries',
      });
      expect(one.location).toBe('/deliveries?done=requeued&n=1&send=queued');
      expect(await status('2026-12-05', 'd1@example.com')).toMatchObject({ status: 'queued', attempts: 0, resends: 1 });
      expect((await status('2026-12-05', 'd3@example.com')).status).toBe('failed');
      expect((await status('2026-12-04', 'd2@example.com')).status).toBe('failed');
      const ed = (await deliveriesQ.findEditionByDate(database.db, '2026-12-05'))!;
      expect(jobs).toEqual([
        expect.objectContaining({
          queue: 'deliver',
          data: { runId: 0, editionId: ed.id, date: '2026-12-05', groups: null },
        }),
      ]);
      // A row that is not failed (uncertain) is not retried: nothing to do.
      const not = await a.post('/deliveries/retry', { _csrf: token, edition: '2026-12-05', email: 'd2@example.com' });
      expect(not.location).toBe('/deliveries?done=nothing');
      expect((await status('2026-12-05', 'd2@example.com')).status).toBe('uncertain');

      await a.post('/deliveries/retry', { _csrf: token, edition: '2026-12-04' });
      expect((await status('2026-12-04', 'd2@example.com')).status).toBe('queued');
      expect((await status('2026-12-04', 'd1@example.com')).status).toBe('sent');
      const audit = await listAudit(database.db, { action: 'delivery.retry' });
      expect(audit.map((e) => e.detail)).toEqual([
        expect.objectContaining({ emails: ['d2@example.com'], scope: 'all failed', send: 'queued' }),
        expect.objectContaining({ emails: ['d1@example.com'], scope: 'one' }),
      ]);
      expect((await a.post('/deliveries/retry', { _csrf: token, edition: '2020-01-01' })).status).toBe(404);
    });

    it('resolves uncertain rows: marked delivered (never sent again) or re-queued, audited', async () => {
      const page = await a.get('/deliveries?edition=2026-12-05&status=uncertain');
      expect(page.text).toContain('标记为已送达');
      const marked = await a.post('/deliveries/resolve', {
        _csrf: token,
        edition: '2026-12-05',
        email: 'd2@example.com',
        outcome: 'delivered',
      });
      expect(marked.location).toBe('/deliveries?done=marked&n=1');
      const row = await status('2026-12-05', 'd2@example.com');
      expect(row).toMatchObject({ status: 'sent', resends: 0, messageId: '<m1@finrep>' });
      expect(row.history.at(-1)).toMatchObject({ status: 'sent', error: 'marked delivered by user:admin@example.com' });
      // Settled: neither resolution applies again.
      const twice = await a.post('/deliveries/resolve', {
        _csrf: token,
        edition: '2026-12-05',
        email: 'd2@example.com',
        outcome: 'resend',
      });
      expect(twice.location).toBe('/deliveries?done=nothing');
      expect((await status('2026-12-05', 'd2@example.com')).status).toBe('sent');

      jobs.length = 0;
      await a.post('/deliveries/resolve', {
        _csrf: token,
        edition: '2026-12-05',
        email: 'd4@example.com',
        outcome: 'resend',
      });
      expect(await status('2026-12-05', 'd4@example.com')).toMatchObject({ status: 'queued', resends: 1 });
      expect(jobs).toHaveLength(1);
      const audit = await listAudit(database.db, { action: 'delivery.resolve' });
      expect(audit.map((e) => [e.target, e.detail?.outcome, e.detail?.emails])).toEqual([
        ['2026-12-05', 'resend', ['d4@example.com']],
        ['2026-12-05', 'delivered', ['d2@example.com']],
      ]);
    });

    it('a viewer sees the log without its buttons and is refused the actions', async () => {
      const v = new Client(base);
      await v.signIn('viewer@example.com', PASSWORD);
      const page = await v.get('/deliveries?edition=2026-12-05');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('action="/deliveries/retry"');
      const list = await v.get('/recipients');
      expect(list.text).not.toContain('href="/recipients/new"');
      const t = await v.csrf('/recipients');
      expect((await v.post('/deliveries/retry', { _csrf: t, edition: '2026-12-05' })).status).toBe(403);
      expect((await v.post('/recipients', { _csrf: t, email: 'x@example.com' })).status).toBe(403);
    });

    /** Rows of delivery_log per edition and status that the kept tallies (delivery_counts) disagree with. */
    const tallyMismatches = async () => {
      const res = (await database.db.execute(sql`
        select count(*)::int as n from (select edition_id, status, count(*)::int as n from delivery_log group by 1, 2) a
        full join (select * from delivery_counts where n <> 0) b using (edition_id, status)
        where a.n is distinct from b.n`)) as unknown as { rows: { n: number }[] };
      return res.rows[0]!.n;
    };

    it('keeps the delivery tallies exact through queueing, retries, resolutions and deletions', async () => {
      expect(await tallyMismatches()).toBe(0); // after the retries and resolutions above
      const ed = (await deliveriesQ.findEditionByDate(database.db, '2026-12-04'))!;
      const before = await deliveriesQ.deliveryCounts(database.db, ed.id);
      expect(before.sent).toBeGreaterThan(0);
      await database.db.delete(recipients).where(eq(recipients.email, 'd3@example.com')); // sent on 2026-12-04
      expect(await tallyMismatches()).toBe(0);
      expect(await deliveriesQ.deliveryCounts(database.db, ed.id)).toEqual({ ...before, sent: before.sent - 1 });
    });

    it('counts an edition exactly from the tallies, and a search up to 10,000 (then says more)', async () => {
      const ed = await editionsQ.ensureEdition(
        database.db,
        '2026-11-01',
        new Date('2026-11-01T00:00:00Z'),
        new Date('2026-11-01T01:00:00Z'),
      );
      await database.db.execute(sql`
        insert into recipients (email, name) select 'bulk' || i || '@example.com', '批量' || i
        from generate_series(1, 10001) i`);
      await database.db.execute(sql`
        insert into delivery_log (edition_id, recipient_id, email, status)
        select ${ed.id}, id, email, 'sent' from recipients where email like 'bulk%'`);
      try {
        const all = await a.get('/deliveries?edition=2026-11-01');
        expect(all.text).toContain('第 1 页，共 201 页（10001 条）');
        const sent = await a.get('/deliveries?edition=2026-11-01&status=sent');
        expect(sent.text).toContain('（10001 条）');
        const failed = await a.get('/deliveries?edition=2026-11-01&status=failed');
        expect(failed.text).toContain('（0 条）');
        const search = await a.get('/deliveries?edition=2026-11-01&recipient=bulk');
        expect(search.text).toContain('共 200 页以上（超过 10,000 条）');
        expect(search.text).toContain('?edition=2026-11-01&amp;recipient=bulk&amp;page=2');
        const en = await a.get('/deliveries?edition=2026-11-01&recipient=bulk&lang=en');
        expect(en.text).toContain('Page 1 of 200+ (10,000+ rows)');
      } finally {
        await database.db.execute(sql`delete from recipients where email like 'bulk%'`);
      }
      expect(await tallyMismatches()).toBe(0);
    });
  });
});
