/**
 * The core's sentences in the operator's language: a refused channel or rule field, a run's events and stage
 * lines come from the core in English with a code and params; a Chinese page says them in Chinese, an English
 * page as the CLI does, and a sentence without a known code (an old event) as it was stored. The store and
 * the CLI keep the English; a null secret on add means "no secret".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannel, ChannelInputError, getChannel, updateChannel } from '../src/channels/store.ts';
import { editionsQ, runsQ } from '../src/db/queries/index.ts';
import { silentLogger } from '../src/log.ts';
import { eventText } from '../src/pipeline/event-texts.ts';
import { Stages } from '../src/pipeline/stages.ts';
import { LANG_COOKIE } from '../src/web/i18n/index.ts';
import { followRun } from '../src/web/routes/dashboard/run-stream.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { deliverEnv, startFinrep } from './helpers/delivery.ts';
import { addUser, Client, SECRET, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery staple 7';
const WECOM = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=TOKEN-texts';

/** The page's text with the markup's escapes undone (quotes come as `&quot;`). */
const unescape = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

describe(`console: the core's sentences in the page's language (${TEST_DB})`, () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let zh: Client;
  let en: Client;
  const tokens = new Map<Client, string>();

  beforeAll(async () => {
    t = await createTestDatabase();
    await addUser(t.db, 'admin@example.com', 'admin', PASSWORD);
    await addChannel(t.db, SECRET, { name: 'desk-wecom', kind: 'wecom', url: WECOM });
    let base: string;
    ({ app, base } = await startTestServer(t.db, webConfig()));
    zh = new Client(base);
    en = new Client(base);
    en.cookies.set(LANG_COOKIE, 'en');
    for (const c of [zh, en]) {
      await c.signIn('admin@example.com', PASSWORD);
      tokens.set(c, await c.csrf('/channels/new'));
    }
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  const addForm = (c: Client, over: Record<string, string>) =>
    c.post('/channels', { _csrf: tokens.get(c)!, name: 'ok-name', kind: 'wecom', url: WECOM, ...over });

  it('a refused channel field reads in Chinese on a zh page and in English on an en page', async () => {
    const cases: { over: Record<string, string>; zh: string; en: string }[] = [
      {
        over: { name: 'has space' },
        zh: '以字母或数字开头，且不能与已有通道重名（“has space”不符合）',
        en: '"has space": a name is 1–64 letters',
      },
      {
        over: { name: 'desk-wecom' },
        zh: '不能与已有通道重名（“desk-wecom”已存在）',
        en: 'a channel "desk-wecom" exists already',
      },
      {
        over: { secret: 'SEC-not-for-wecom' },
        zh: '只有飞书、钉钉支持签名密钥；密钥为一行，最多 512 个字符（企业微信通道不签名消息，请留空）',
        en: 'a WeCom channel does not sign its messages: leave the secret empty',
      },
      {
        over: { url: 'ftp://h/x?key=K' },
        zh: '请填写有效的 http(s) Webhook 地址（不能是 ftp）',
        en: 'must be http or https',
      },
    ];
    for (const c of cases) {
      const z = await addForm(zh, c.over);
      expect(z.status, c.zh).toBe(400);
      const zText = unescape(z.text);
      expect(zText).toContain(c.zh);
      expect(zText, c.zh).not.toContain(c.en);
      const e = await addForm(en, c.over);
      expect(e.status, c.en).toBe(400);
      expect(unescape(e.text)).toContain(c.en);
      expect(unescape(e.text)).not.toContain(c.zh);
      expect(e.text + z.text).not.toContain('SEC-not-for-wecom');
    }
    expect(await getChannel(t.db, 'ok-name')).toBeNull();
  });

  it('a refused alert rule reads in the page’s language', async () => {
    const rule = async (c: Client, over: Record<string, string>) =>
      c.post('/alerts', {
        _csrf: tokens.get(c)!,
        name: 'watch',
        tickers: '600519',
        quiet: '',
        daily_cap: '5',
        min_importance: '0',
        channels: 'desk-wecom',
        ...over,
      });
    const cases: { over: Record<string, string>; zh: string; en: string }[] = [
      {
        over: { tickers: '!!bad' },
        zh: '股票代码格式不对，例如 600519.SH、0700.HK、AAPL（“!!bad”无效）',
        en: '"!!bad" is not valid',
      },
      { over: { quiet: '08:00-08:00' }, zh: '起止不能相同（开始和结束相同）', en: 'the start and the end must differ' },
      {
        over: { channels: 'nope' },
        zh: '至少选择一个推送通道或填写一个邮件分组（没有名为 nope 的通道）',
        en: 'no channel named nope',
      },
    ];
    for (const c of cases) {
      const z = await rule(zh, c.over);
      expect(z.status, c.zh).toBe(400);
      expect(unescape(z.text)).toContain(c.zh);
      expect(unescape(z.text)).not.toContain(c.en);
      const e = await rule(en, c.over);
      expect(e.status, c.en).toBe(400);
      expect(unescape(e.text)).toContain(c.en);
    }
  });

  it('a recipients file that cannot be read says why in the page’s language', async () => {
    const upload = async (c: Client, bytes: Buffer) => {
      const form = new FormData();
      form.set('_csrf', await c.csrf('/recipients/import'));
      form.set('file', new Blob([new Uint8Array(bytes)]), 'list.csv');
      const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(`${c.base}/recipients/import`, { method: 'POST', body: form, headers: { cookie } });
      return { status: res.status, text: unescape(await res.text()) };
    };
    const binary = Buffer.from('email,name\n\0\0a@example.com,x\n');
    const z = await upload(zh, binary);
    expect(z.status).toBe(400);
    expect(z.text).toContain('无法读取这个文件：这是二进制文件（含 NUL 字节），不是 CSV 文本');
    const e = await upload(en, binary);
    expect(e.status).toBe(400);
    expect(e.text).toContain('This file cannot be read: binary file (it contains NUL bytes), not CSV text');
    const header = Buffer.from('a@example.com,张三\n');
    expect((await upload(zh, header)).text).toContain('第 1 行须为表头');
  });

  it('a refused source form (add, edit, test) reads in the page’s language', async () => {
    const source = (c: Client, path: string, over: Record<string, string>) =>
      c.post(path, {
        _csrf: tokens.get(c)!,
        kind: 'web',
        name: '政策观察',
        url: 'https://policy.example.cn/news/',
        itemSelector: 'ul.news a',
        ...over,
      });
    const created = await source(zh, '/sources/new', { key: 'desk-policy' });
    expect(created.status).toBe(303);
    const edit = created.location!.replace(/\?.*$/, '');
    const cases: { path: string; over: Record<string, string>; zh: RegExp | string; en: string; status?: number }[] = [
      {
        path: '/sources/new',
        over: { url: 'ftp://policy.example.cn/' },
        zh: '必须是完整的 http(s) 网址',
        en: 'must be an absolute http(s) URL',
      },
      { path: '/sources/new', over: { itemSelector: '' }, zh: '必填', en: 'is required' },
      {
        path: '/sources/new',
        over: { itemSelector: 'ul.news a[' },
        zh: /不是有效的 CSS 选择器（解析器提示：[^）]+）/,
        en: 'not a CSS selector cheerio can read',
      },
      { path: '/sources/new', over: { budgetSec: '0' }, zh: '不能小于 1', en: 'must be at least 1' },
      { path: '/sources/new', over: { maxPages: '99' }, zh: '不能大于 50', en: 'must be at most 50' },
      { path: '/sources/new', over: { maxItems: '2.5' }, zh: '必须是整数', en: 'must be a whole number' },
      {
        path: '/sources/new',
        over: { name: 'x'.repeat(201) },
        zh: '最多 200 个字符',
        en: 'must be at most 200 characters',
      },
      {
        path: '/sources/new',
        over: { headers: 'X Bad: 1' },
        zh: 'X Bad: 不是合法的请求头名称',
        en: 'X Bad: is not an HTTP header name',
      },
      {
        path: '/sources/new',
        over: { key: 'has space' },
        zh: '只能包含字母、数字和 . _ : -',
        en: 'letters, digits and . _ : - only',
      },
      {
        path: '/sources/new',
        over: { key: 'desk-policy' },
        zh: '标识 desk-policy 已被另一个信息源使用',
        en: 'the key desk-policy belongs to another source',
        status: 409,
      },
      {
        path: edit,
        over: { timezone: 'Mars/Base' },
        zh: '不是 IANA 时区（如 Asia/Shanghai）',
        en: 'is not an IANA time zone',
      },
      { path: edit, over: { weight: '11' }, zh: '必须在 0 到 10 之间', en: 'must be between 0 and 10' },
      {
        path: '/sources/test',
        over: { kind: 'dynamic', waitForSelector: '<<' },
        zh: '不是有效的 CSS 选择器',
        en: 'not a CSS selector',
      },
    ];
    for (const c of cases) {
      const z = await source(zh, c.path, c.over);
      expect(z.status, c.en).toBe(c.status ?? 400);
      const zText = unescape(z.text);
      if (typeof c.zh === 'string') expect(zText, c.en).toContain(c.zh);
      else expect(zText, c.en).toMatch(c.zh);
      expect(zText, c.en).not.toContain(c.en);
      const e = await source(en, c.path, c.over);
      expect(e.status, c.en).toBe(c.status ?? 400);
      expect(unescape(e.text), c.en).toContain(c.en);
    }
  });

  it('a refused new password says why in the page’s language', async () => {
    const change = (c: Client, password: string) =>
      c.post('/account/password', { _csrf: tokens.get(c)!, current: PASSWORD, password, confirm: password });
    const z = await change(zh, 'short');
    expect(z.status).toBe(400);
    expect(unescape(z.text)).toContain('新密码不符合要求：至少 10 个字符。');
    expect(z.text).not.toContain('at least 10 characters');
    expect(unescape((await change(zh, ' leading space 123')).text)).toContain('开头和结尾不能有空格');
    const e = await change(en, 'short');
    expect(e.status).toBe(400);
    expect(unescape(e.text)).toContain('The new password is not acceptable: at least 10 characters.');
  });

  it('a sources file that cannot be imported says why in the page’s language', async () => {
    const check = async (c: Client, format: string, text: string) => {
      const r = await c.post('/sources/import', { _csrf: tokens.get(c)!, format, text });
      return { status: r.status, text: unescape(r.text) };
    };
    const feed = (key: string) =>
      `  - key: ${key}\n    name: 快讯\n    kind: rss\n    url: https://a.example/${key}.xml\n`;
    const cases: { format: string; text: string; zh: RegExp | string; en: string }[] = [
      { format: 'yaml', text: 'sources:\n  - name: [unclosed\n', zh: /不是有效的 YAML：\S/, en: 'not valid YAML: ' },
      { format: 'json', text: '{"sources": [', zh: /不是有效的 JSON：\S/, en: 'not valid JSON: ' },
      {
        format: 'yaml',
        text: `sources:\n${feed('dup')}${feed('dup')}`,
        zh: 'key“dup”与第 1 条重复',
        en: '"dup" is also the key of entry 0',
      },
      {
        format: 'yaml',
        text: `version: 1\nextra: 1\nsources:\n${feed('one')}`,
        zh: '未知的顶层字段：extra',
        en: 'unknown top-level field(s) extra',
      },
      {
        format: 'yaml',
        text: 'just text',
        zh: '应为信息源列表，或含 sources 列表的对象',
        en: 'expected a list of sources',
      },
      {
        format: 'yaml',
        text: 'sources:\n  - name: 网页\n    kind: web\n    url: https://w.example/\n    bogus: 1\n',
        zh: /(?=[\s\S]*第 1 条 · rules: <\/strong>web 信息源必须填写抓取规则（至少 itemSelector）)(?=[\s\S]*第 1 条 · bogus: <\/strong>未知字段)/,
        en: 'are required for web sources (at least itemSelector)',
      },
      {
        format: 'opml',
        text: '<?xml version="1.0"?><rss/>',
        zh: '不是 OPML 文件（没有 <opml> 元素）',
        en: 'not an OPML file',
      },
      {
        format: 'opml',
        text: '<opml version="2.0"><body><outline type="rss" text="x"/></body></opml>',
        zh: 'type="rss"，但没有 xmlUrl',
        en: 'type="rss" but no xmlUrl',
      },
      { format: 'opml', text: '<opml><body><outline xmlUrl="x"', zh: /不是有效的 XML：\S/, en: 'not valid XML: ' },
    ];
    for (const c of cases) {
      const z = await check(zh, c.format, c.text);
      expect(z.status, c.en).toBe(400);
      expect(z.text, c.en).toContain('文件有');
      if (typeof c.zh === 'string') expect(z.text, c.en).toContain(c.zh);
      else expect(z.text, c.en).toMatch(c.zh);
      expect(z.text, c.en).not.toContain(c.en);
      const e = await check(en, c.format, c.text);
      expect(e.status, c.en).toBe(400);
      expect(e.text, c.en).toContain(c.en);
    }
  });

  it('a run’s events and stage lines read in Chinese on zh and in English on en; an old row as stored', async () => {
    const edition = await editionsQ.ensureEdition(
      t.db,
      '2026-03-02',
      new Date('2026-03-01T22:00:00Z'),
      new Date('2026-03-02T22:00:00Z'),
    );
    const runId = await runsQ.startRun(t.db, edition.id, 'cli', { worker: 'test' });
    const stages = new Stages(t.db, runId, silentLogger());
    await stages.begin('dedup');
    await stages.end('dedup', eventText('dedup.done', { unique: 12, near: 3 }));
    await stages.event(
      null,
      'retrying',
      eventText('run.retrying', { attempt: 1, attempts: 3, error: 'boom <b>', seconds: 30 }),
    );
    await runsQ.addRunEvent(t.db, { runId, kind: 'info', message: 'an event from before codes' });
    await runsQ.addRunEvent(t.db, {
      runId,
      kind: 'info',
      message: 'a line of a newer worker',
      data: { code: 'not.known.here', params: {} },
    });
    await runsQ.finishRun(t.db, runId, 'ok', {}, null);
    await stages.event(null, 'info', eventText('run.finished', { status: 'ok' }));

    const events = await runsQ.listRunEvents(t.db, runId);
    // The English stays what the CLI prints.
    expect(events.map((e) => e.message)).toEqual([
      'dedup started',
      '12 new stories, 3 near-duplicates',
      'attempt 1 of 3 failed: boom <b>; retrying in 30 s',
      'an event from before codes',
      'a line of a newer worker',
      'run ok',
    ]);

    const z = await zh.get(`/runs/${runId}`);
    expect(z.status).toBe(200);
    const zText = unescape(z.text);
    for (const s of [
      '去重开始',
      '新故事 12 条，近似重复 3 条',
      '第 1 次尝试（共 3 次）失败：boom <b>；30 秒后重试',
      'an event from before codes',
      'a line of a newer worker',
      '运行结束：成功',
    ])
      expect(zText).toContain(s);
    expect(z.text).not.toContain('boom <b>'); // escaped
    expect(zText).not.toContain('near-duplicates');
    // The stage table's line, too.
    expect(zText.match(/新故事 12 条，近似重复 3 条/g)!.length).toBe(2);

    const e = await en.get(`/runs/${runId}`);
    const eText = unescape(e.text);
    for (const s of ['dedup started', '12 new stories, 3 near-duplicates', 'retrying in 30 s', 'run ok'])
      expect(eText).toContain(s);
    expect(eText).not.toContain('新故事');

    // The live stream says them in the page's language as well.
    const said = async (lang: 'zh-CN' | 'en') => {
      const chunks: string[] = [];
      await followRun(
        { db: t.db, runId, after: 0, timeZone: 'Asia/Shanghai', lang, pollMs: 10 },
        (c) => {
          chunks.push(c);
        },
        () => false,
      );
      return chunks
        .filter((c) => c.includes('event: run\n'))
        .map((c) => (JSON.parse(c.split('data: ')[1]!) as { message: string }).message);
    };
    expect(await said('zh-CN')).toEqual([
      '去重开始',
      '新故事 12 条，近似重复 3 条',
      '第 1 次尝试（共 3 次）失败：boom <b>；30 秒后重试',
      'an event from before codes',
      'a line of a newer worker',
      '运行结束：成功',
    ]);
    expect(await said('en')).toEqual(events.map((ev) => ev.message));
  });

  it('the store keeps the English and takes a null secret on add; the CLI prints the English (PostgreSQL)', async () => {
    const refused = await addChannel(t.db, SECRET, { name: 'bad name', kind: 'wecom', url: WECOM }).catch((e) => e);
    expect(refused).toBeInstanceOf(ChannelInputError);
    expect(refused).toMatchObject({
      field: 'name',
      code: 'channel.name.invalid',
      params: { name: 'bad name' },
      message: '"bad name": a name is 1–64 letters, digits, "." "_" or "-", starting with a letter or digit',
    });

    const plain = await addChannel(t.db, SECRET, { name: 'null-secret', kind: 'wecom', url: WECOM, secret: null });
    expect(plain.hasSecret).toBe(false);
    const feishu = 'https://open.feishu.cn/open-apis/bot/v2/hook/T';
    const unsigned = await addChannel(t.db, SECRET, { name: 'fs-null', kind: 'feishu', url: feishu, secret: null });
    expect(unsigned.hasSecret).toBe(false);
    const blank = await addChannel(t.db, SECRET, { name: 'fs-blank', kind: 'feishu', url: feishu, secret: '  ' });
    expect(blank.hasSecret).toBe(false);
    const notText = await addChannel(t.db, SECRET, {
      name: 'fs-number',
      kind: 'feishu',
      url: feishu,
      secret: 12345 as unknown as string,
    }).catch((e) => e);
    expect(notText).toMatchObject({ field: 'secret', code: 'channel.secret.invalid' });
    // On update: blank keeps the secret, null removes it (docs/channels.md, `--no-secret`).
    expect((await updateChannel(t.db, SECRET, 'fs-null', { secret: 'SEC-1' }))!.hasSecret).toBe(true);
    expect((await updateChannel(t.db, SECRET, 'fs-null', { secret: '' }))!.hasSecret).toBe(true);
    expect((await updateChannel(t.db, SECRET, 'fs-null', { secret: null }))!.hasSecret).toBe(false);

    // The CLI's words do not depend on the database: checked on the PostgreSQL pass, which the child shares
    // (PGlite belongs to one process, this one, and a fresh one would cost the child its migrations).
    if (TEST_DB !== 'postgres') return;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-texts-cli-'));
    const env = deliverEnv({ dataDir, databaseUrl: t.databaseUrl, smtpPort: 1, rate: 20 });
    const args = ['channels', 'add', 'has space', '--kind', 'wecom', '--url', WECOM];
    const cli = await startFinrep(args, env, dataDir).done.finally(() =>
      rmSync(dataDir, { recursive: true, force: true }),
    );
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('--name: "has space": a name is 1–64 letters');
    expect(cli.stderr).not.toMatch(/名称|TOKEN-texts/);
  });
});
