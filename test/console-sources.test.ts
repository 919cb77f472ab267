/**
 * The console's sources pages over HTTP on the real server and database: the list with health and backoff,
 * create / edit with inline errors from the shared validator, enable / disable / delete (articles only with
 * a confirmed count), every change audited, "test this source" against a feed on 127.0.0.1 storing nothing
 * (the address guard on unless allowed; a clear timeout), YAML / JSON / OPML export ↔ import round trips, a bad
 * file importing nothing, a viewer refused, hostile titles inert.
 */
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer as startSite } from '../src/collect/test-server.ts';
import type { TestServer } from '../src/collect/test-server.ts';
import { listAudit } from '../src/db/queries/audit.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
const FEED = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>测试财经</title><link>http://127.0.0.1/</link>
<item><title>央行宣布下调存款准备金率0.5个百分点</title><link>http://127.0.0.1/a/1</link>
<pubDate>Mon, 10 Nov 2025 08:30:00 +0800</pubDate><description>中国人民银行决定于11月15日下调金融机构存款准备金率。</description></item>
<item><title>${HOSTILE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</title><link>http://127.0.0.1/a/2?q="&gt;&lt;script&gt;alert(2)&lt;/script&gt;</link>
<pubDate>Mon, 10 Nov 2025 15:05:00 +0800</pubDate><description>两市成交额超过1.1万亿元。</description></item>
<item><title>脚本链接</title><link>javascript:alert(1)</link><description>不会成为链接</description></item>
</channel></rss>`;

const count = async (db: TestDatabase, table: 'sources' | 'articles' | 'source_fetches') => {
  const r = await db.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
  return Number(((Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as { n: number }[])[0]!.n);
};

describe(`console sources (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let site: TestServer;
  let admin: Client;
  let csrf: string;
  let feedId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    site = await startSite({
      '/feed.xml': (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FEED),
      '/slow.xml': () => undefined, // never answers
      '/not-a-feed.xml': (_req, res) =>
        void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><p>维护中</p></body></html>'),
    });
    ({ app, base } = await startTestServer(database.db, webConfig({ TZ: 'Asia/Shanghai' })));
    admin = new Client(base);
    expect((await admin.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    csrf = await admin.csrf('/sources/new');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await site?.close();
    await database?.drop();
  });

  const post = (path: string, form: Record<string, string>) => admin.post(path, { _csrf: csrf, ...form });
  const fieldError = (html: string, name: string) => {
    const m = new RegExp(
      `<label class="field invalid">(?:(?!</label>).)*name="${name}"(?:(?!</label>).)*</label>`,
      's',
    ).exec(html);
    return m ? (/<small class="field-error" role="alert">([^<]*)<\/small>/.exec(m[0])?.[1] ?? null) : null;
  };

  it('refuses a bad form with each field’s error from the shared validator, storing nothing', async () => {
    const r = await post('/sources/new', {
      kind: 'web',
      name: ' ',
      url: 'ftp://x',
      weight: '11',
      timezone: 'Mars/Base',
      itemSelector: 'ul[[',
    });
    expect(r.status).toBe(400);
    // a zh page: the validator's refusals in Chinese (the selector's parser quoted in its own words)
    expect(fieldError(r.text, 'name')).toBe('不能为空');
    expect(fieldError(r.text, 'url')).toBe('必须是完整的 http(s) 网址');
    expect(fieldError(r.text, 'weight')).toBe('必须在 0 到 10 之间');
    expect(fieldError(r.text, 'timezone')).toBe('不是 IANA 时区（如 Asia/Shanghai）');
    expect(fieldError(r.text, 'itemSelector')).toMatch(/^不是有效的 CSS 选择器（解析器提示：.+）$/);
    // the form keeps what was typed
    expect(r.text).toContain('value="ftp://x"');
    const missing = await post('/sources/new', { kind: 'web', name: '政策观察', url: 'https://example.com/news/' });
    expect(missing.status).toBe(400);
    expect(fieldError(missing.text, 'itemSelector')).toBe('必填');
    expect(await count(database, 'sources')).toBe(0);
  });

  it('creates a source from the form, audited, and lists it with its health', async () => {
    const r = await post('/sources/new', {
      kind: 'rss',
      name: `测试财经 ${HOSTILE}`,
      url: site.url('/feed.xml'),
      weight: '1.5',
      enabled: 'on',
      allowPrivate: 'on',
      headers: 'X-Token: s3cret-value',
    });
    expect(r.status).toBe(303);
    feedId = Number(/^\/sources\/(\d+)\?saved=1$/.exec(r.location!)![1]);
    const row = (await sourcesQ.getSource(database.db, feedId))!;
    expect(row).toMatchObject({ kind: 'rss', weight: 1.5, allowPrivate: true, headers: { 'X-Token': 's3cret-value' } });
    expect(row.key).toMatch(/^rss:127\.0\.0\.1:/);
    const audit = await listAudit(database.db, { action: 'source.add' });
    expect(audit[0]).toMatchObject({ actor: 'user:admin@example.com', target: `source:${feedId}` });
    const list = await admin.get('/sources');
    expect(list.status).toBe(200);
    expect(list.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(list.text).not.toContain('<script>alert');
    expect(list.text).toContain('从未采集');
    const en = await admin.get('/sources?lang=en');
    expect(en.text).toContain('<h1>Sources</h1>');
    expect(en.text).toContain('never fetched');
    await admin.get('/sources?lang=zh-CN');
  });

  it('tests a stored source against a local feed: items shown, hostile ones inert, nothing stored', async () => {
    const before = (await sourcesQ.getSource(database.db, feedId))!;
    const r = await post(`/sources/${feedId}/test`, {});
    expect(r.status).toBe(200);
    expect(r.text).toContain('找到 2 条');
    expect(r.text).toContain('央行宣布下调存款准备金率0.5个百分点');
    expect(r.text).toContain('href="http://127.0.0.1/a/1"');
    expect(r.text).toContain('中国人民银行决定于11月15日下调金融机构存款准备金率');
    // the hostile item: its title and link escaped; the javascript: item dropped by the collector
    expect(r.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(r.text).not.toMatch(/<img src=x|<script>alert|href="javascript:|脚本链接/i);
    expect(await count(database, 'articles')).toBe(0);
    expect(await count(database, 'source_fetches')).toBe(0);
    const after = (await sourcesQ.getSource(database.db, feedId))!;
    expect(after.lastFetchAt).toEqual(before.lastFetchAt);
    expect(after.etag).toBe(before.etag);
  });

  it('tests an unsaved form: the private-address guard stays on unless allowed; a timeout says so', async () => {
    const guarded = await post('/sources/test', { kind: 'rss', name: '本地', url: site.url('/feed.xml') });
    expect(guarded.status).toBe(200);
    // The reason in Chinese by its kind, then the collector's own detail.
    expect(guarded.text).toContain('测试失败：该网址指向内网或本机地址，已被地址保护拦截');
    expect(guarded.text).toMatch(/详情：.*private address/s);
    const allowed = await post('/sources/test', {
      kind: 'rss',
      name: '本地',
      url: site.url('/feed.xml'),
      allowPrivate: 'on',
    });
    expect(allowed.text).toContain('找到 2 条');
    const slow = await post('/sources/test', {
      kind: 'rss',
      name: '慢',
      url: site.url('/slow.xml'),
      allowPrivate: 'on',
      budgetSec: '1',
    });
    expect(slow.text).toContain('测试超时（上限 1 秒）');
    const missing = await post('/sources/test', {
      kind: 'rss',
      name: '缺',
      url: site.url('/missing.xml'),
      allowPrivate: 'on',
    });
    expect(missing.text).toContain('测试失败：服务器返回 HTTP 404。');
    const notFeed = await post('/sources/test', {
      kind: 'rss',
      name: '非源',
      url: site.url('/not-a-feed.xml'),
      allowPrivate: 'on',
    });
    expect(notFeed.text).toContain('测试失败：内容无法解析（不是有效的订阅源或页面）。');
    const bad = await post('/sources/test', { kind: 'rss', name: '坏', url: 'not a url' });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'url')).toBe('必须是完整的 http(s) 网址');
    expect(await count(database, 'sources')).toBe(1);
    expect(await count(database, 'articles')).toBe(0);
  });

  it('edits a source: inline errors, key clash refused, a saved edit audited with before and after', async () => {
    const other = await post('/sources/new', {
      kind: 'web',
      name: '政策观察',
      url: 'https://example.com/news/',
      key: 'policy-watch',
      itemSelector: 'ul.news a',
      enabled: 'on',
    });
    expect(other.status).toBe(303);
    const bad = await post(`/sources/${feedId}`, {
      kind: 'rss',
      name: '测试财经',
      url: site.url('/feed.xml'),
      maxItems: 'lots',
    });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'maxItems')).toBe('必须是数字');
    const clash = await post(`/sources/${feedId}`, {
      kind: 'rss',
      name: '测试财经',
      url: site.url('/feed.xml'),
      key: 'policy-watch',
    });
    expect(clash.status).toBe(409);
    expect(fieldError(clash.text, 'key')).toContain('policy-watch');
    const ok = await post(`/sources/${feedId}`, {
      kind: 'rss',
      name: '测试财经',
      url: site.url('/feed.xml'),
      weight: '2',
      allowPrivate: 'on',
      enabled: 'on',
      maxItems: '50',
    });
    expect(ok.status).toBe(303);
    const row = (await sourcesQ.getSource(database.db, feedId))!;
    expect(row).toMatchObject({ name: '测试财经', weight: 2, rules: { maxItems: 50 }, headers: {} });
    const [edit] = await listAudit(database.db, { action: 'source.edit' });
    expect(edit!.detail).toMatchObject({ before: { weight: 1.5 }, after: { weight: 2 } });
  });

  it('shows the backoff as the next attempt, filters failing sources, enables and disables (audited)', async () => {
    const next = new Date(Date.now() + 20 * 60_000);
    await database.db.execute(
      sql`update sources set consecutive_failures = 3, last_error = ${'HTTP 503 <b>down</b>'}, next_attempt_at = ${next.toISOString()}, last_fetch_at = now() where id = ${feedId}`,
    );
    const failing = await admin.get('/sources?health=failing');
    expect(failing.text).toContain('连续失败 3 次');
    expect(failing.text).toContain('HTTP 503 &lt;b&gt;down&lt;/b&gt;');
    expect(failing.text).toContain('退避');
    expect(failing.text).not.toContain('政策观察');
    const web = await admin.get('/sources?kind=web');
    expect(web.text).toContain('政策观察');
    expect(web.text).not.toContain(`/sources/${feedId}"`);
    const off = await post(`/sources/${feedId}/disable`, { back: '/sources?health=failing' });
    expect(off).toMatchObject({ status: 303, location: '/sources?health=failing' });
    expect((await sourcesQ.getSource(database.db, feedId))!.enabled).toBe(false);
    expect((await admin.get('/sources?enabled=no')).text).toContain('不采集（已停用）');
    const on = await post(`/sources/${feedId}/enable`, { back: 'https://evil.example/' });
    expect(on.location).toBe(`/sources/${feedId}?saved=enabled`);
    const row = (await sourcesQ.getSource(database.db, feedId))!;
    expect(row.enabled).toBe(true);
    expect(row.nextAttemptAt).toBeNull();
    expect(await listAudit(database.db, { action: 'source.disable' })).toHaveLength(1);
    expect(await listAudit(database.db, { action: 'source.enable' })).toHaveLength(1);
  });

  it('a viewer reads the pages but changes nothing and never sees header values', async () => {
    await post(`/sources/${feedId}`, {
      kind: 'rss',
      name: '测试财经',
      url: site.url('/feed.xml'),
      allowPrivate: 'on',
      enabled: 'on',
      headers: 'Authorization: Bearer top-secret',
    });
    const viewer = new Client(base);
    expect((await viewer.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
    const page = await viewer.get(`/sources/${feedId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Authorization: ••••');
    expect(page.text).not.toContain('top-secret');
    expect(page.text).not.toContain('formaction');
    const token = await viewer.csrf('/account');
    for (const path of [
      '/sources/new',
      `/sources/${feedId}`,
      `/sources/${feedId}/test`,
      `/sources/${feedId}/delete`,
      '/sources/import/apply',
    ])
      expect(
        (await viewer.post(path, { _csrf: token, kind: 'rss', name: 'x', url: 'https://example.com/' })).status,
        path,
      ).toBe(403);
    expect((await viewer.get('/sources/export')).status).toBe(403);
    expect((await viewer.get('/sources/import')).status).toBe(200);
  });

  it('round-trips YAML, JSON and OPML through export and the import plan', async () => {
    const yaml = await admin.get('/sources/export?format=yaml');
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-disposition')).toMatch(
      /attachment; filename="finrep-sources-\d{4}-\d{2}-\d{2}\.yaml"/,
    );
    expect(yaml.text).toContain('key: policy-watch');
    for (const format of ['yaml', 'json', 'opml']) {
      const file = format === 'yaml' ? yaml.text : (await admin.get(`/sources/export?format=${format}`)).text;
      const plan = await post('/sources/import', { format, text: file });
      expect(plan.status, format).toBe(200);
      if (format === 'opml') {
        // OPML carries feeds by URL only: the feed is matched (not added again); the web source is not in it
        expect(plan.text).toContain('新增 0 个');
        expect(plan.text).toContain('rss:127.0.0.1:');
        continue;
      }
      expect(plan.text, format).toContain('新增 0 个，更新 0 个，2 个不变');
      expect(plan.text).toContain('没有需要改变的内容');
    }
    // a changed name and a new source: planned, nothing written, then applied
    const changed = `${yaml.text.replace('name: 政策观察', 'name: 政策观察（新）')}  - name: 新的订阅\n    kind: rss\n    url: https://example.org/rss\n`;
    const plan = await post('/sources/import', { format: 'yaml', text: changed });
    expect(plan.text).toContain('新增 1 个，更新 1 个，1 个不变');
    expect(await count(database, 'sources')).toBe(2);
    const applied = await post('/sources/import/apply', { format: 'yaml', text: changed });
    expect(applied).toMatchObject({ status: 303, location: '/sources?done=imported&created=1&updated=1' });
    expect(await count(database, 'sources')).toBe(3);
    expect((await sourcesQ.findSourceByKey(database.db, 'policy-watch'))!.name).toBe('政策观察（新）');
    const [audit] = await listAudit(database.db, { action: 'source.import' });
    expect(audit!.detail).toMatchObject({
      entries: 3,
      created: [expect.stringMatching(/^rss:example\.org:/)],
      updated: ['policy-watch'],
    });
    expect((await admin.get('/sources?done=imported&created=1&updated=1')).text).toContain(
      '导入完成：新增 1 个，更新 1 个',
    );
  });

  it('an OPML import over an existing feed keeps its rules, weight and headers, and says so', async () => {
    const url = 'https://opml.example/feed.xml';
    const yaml = `version: 1\nsources:\n  - key: opml-feed\n    name: 旧标题\n    kind: rss\n    url: ${url}\n    weight: 2.5\n    headers: { X-Token: abc }\n    rules: { maxItems: 7, budgetSec: 20 }\n`;
    expect((await post('/sources/import/apply', { format: 'yaml', text: yaml })).status).toBe(303);
    const opml = `<?xml version="1.0"?>\n<opml version="2.0"><body>\n<outline text="新标题" type="rss" xmlUrl="${url}"/>\n</body></opml>\n`;
    const plan = await post('/sources/import', { format: 'opml', text: opml });
    expect(plan.status).toBe(200);
    expect(plan.text).toContain('新增 0 个，更新 1 个');
    expect(plan.text).toContain('改动：名称');
    expect(plan.text).toContain('保留原有：规则, 权重, 请求头（文件中没有）');
    const applied = await post('/sources/import/apply', { format: 'opml', text: opml });
    expect(applied).toMatchObject({ status: 303, location: '/sources?done=imported&created=0&updated=1&kept=1' });
    expect(await sourcesQ.findSourceByKey(database.db, 'opml-feed')).toMatchObject({
      name: '新标题',
      url,
      weight: 2.5,
      headers: { 'X-Token': 'abc' },
      rules: { maxItems: 7, budgetSec: 20 },
    });
    const [audit] = await listAudit(database.db, { action: 'source.import' });
    expect(audit!.detail).toMatchObject({
      format: 'opml',
      updated: ['opml-feed'],
      kept: { 'opml-feed': ['rules', 'weight', 'headers'] },
    });
    expect((await admin.get(applied.location!)).text).toContain('1 个已有信息源保留了文件中没有的设置');
    // A YAML file carries every field: the same import there replaces them (and says nothing is kept).
    const again = await post('/sources/import', { format: 'yaml', text: yaml.replace(/rules: .*\n/, '') });
    expect(again.text).toContain('改动：名称, 规则');
    expect(again.text).not.toContain('保留原有');
    await sourcesQ.deleteSource(database.db, (await sourcesQ.findSourceByKey(database.db, 'opml-feed'))!.id);
  });

  it('a file with one bad entry imports nothing and names its line and entry', async () => {
    const text = `version: 1\nsources:\n  - name: 好的\n    kind: rss\n    url: https://good.example/rss\n  - name: 坏的\n    kind: web\n    url: https://bad.example/\n    rules:\n      itemSelector: ""\n`;
    for (const path of ['/sources/import', '/sources/import/apply']) {
      const r = await post(path, { format: 'yaml', text });
      expect(r.status).toBe(400);
      expect(r.text).toContain('文件有 1 处问题，未导入任何内容');
      expect(r.text).toMatch(/sources\.yaml:10:\d+<\/code> <strong>第 2 条 · rules\.itemSelector: <\/strong>不能为空/);
    }
    const opml = await post('/sources/import', { format: 'opml', text: '<opml><body><outline xmlUrl="x"' });
    expect(opml.status).toBe(400);
    expect(opml.text).toMatch(/不是有效的 XML：[^<]+</);
    expect(await count(database, 'sources')).toBe(3);
  });

  it('deletes a source with stored articles only when the count is confirmed', async () => {
    await database.db
      .execute(sql`insert into articles (source_id, url, canonical_url, url_hash, title, effective_at, content_hash, simhash, band0, band1, band2, band3)
      values (${feedId}, 'http://127.0.0.1/a/1', 'http://127.0.0.1/a/1', 'h1', '央行', now(), 'c1', 1, 0, 0, 0, 1)`);
    const page = await admin.get(`/sources/${feedId}`);
    expect(page.text).toContain('此信息源有 1 篇已存文章');
    expect(page.text).toContain('>1<'); // the 7-day count
    const refused = await post(`/sources/${feedId}/delete`, {});
    expect(refused.location).toBe(`/sources/${feedId}?error=articles`);
    expect(await count(database, 'articles')).toBe(1);
    const wrong = await post(`/sources/${feedId}/delete`, { articles: '0' });
    expect(wrong.location).toBe(`/sources/${feedId}?error=articles`);
    const done = await post(`/sources/${feedId}/delete`, { articles: '1' });
    expect(done).toMatchObject({ status: 303, location: '/sources?done=deleted' });
    expect(await sourcesQ.getSource(database.db, feedId)).toBeNull();
    expect(await count(database, 'articles')).toBe(0);
    const [audit] = await listAudit(database.db, { action: 'source.remove' });
    expect(audit!.detail).toMatchObject({ articles: 1, before: { id: feedId } });
    expect((await admin.get(`/sources/${feedId}`)).status).toBe(404);
  });
});
