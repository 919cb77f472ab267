/**
 * Sources as code through the real `finrep` command: add/edit/enable/disable/remove, `test` against a real
 * HTTP server on 127.0.0.1 (nothing stored), import → export → import round trips in YAML, JSON and OPML, and
 * bad files refused with line, column and field — importing nothing. Recipients export ↔ import round trip.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../src/collect/test-server.ts';
import type { TestServer } from '../src/collect/test-server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

const FEED = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>测试财经</title><link>http://127.0.0.1/</link>
<item><title>央行宣布下调存款准备金率0.5个百分点</title><link>http://127.0.0.1/a/1</link>
<pubDate>Mon, 10 Nov 2025 08:30:00 +0800</pubDate><description>中国人民银行决定于11月15日下调金融机构存款准备金率。</description></item>
<item><title>沪指收涨1.2%</title><link>http://127.0.0.1/a/2</link><pubDate>Mon, 10 Nov 2025 15:05:00 +0800</pubDate>
<description>两市成交额超过1.1万亿元。</description></item>
</channel></rss>`;

const LIST = `<html><body><ul class="news"><li><a href="/p/1">证监会发布新规</a></li><li><a href="/p/2">财政部发行特别国债</a></li></ul></body></html>`;
// The list as a browser sees it: the links exist only once the page's script has run.
const SCRIPTED_LIST = `<html><body><ul class="news"></ul><script>
setTimeout(() => { document.querySelector('ul.news').innerHTML =
  '<li><a href="/p/1">证监会发布新规</a></li><li><a href="/p/2">财政部发行特别国债</a></li>'; }, 50);
</script></body></html>`;
const article = (title: string, body: string) =>
  `<html><head><title>${title}</title></head><body><h1 class="t">${title}</h1><span class="d">2025-11-10 09:15</span>` +
  `<div class="c"><p>${body}</p><p>${body}</p></div></body></html>`;

describe(`finrep sources (${TEST_DB})`, () => {
  let db: TestDatabase;
  let site: TestServer;
  let dir: string;
  let env: Record<string, string>;

  // asynchronous: the test's HTTP server answers in this process while the command runs
  const finrep = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const opts = {
        cwd: dir,
        encoding: 'utf8' as const,
        timeout: 120_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      };
      execFile(process.execPath, [BIN, ...args], opts, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const list = async () => JSON.parse((await finrep('sources', '--json')).stdout) as Record<string, unknown>[];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.close(); // PGlite: one process at a time; the commands open it
    dir = mkdtempSync(path.join(tmpdir(), 'finrep-sources-cli-'));
    env = {
      FINREP_DATA_DIR: db.dataDir,
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
      TZ: 'Asia/Shanghai',
    };
    const html = (body: string) => (_req: unknown, res: import('node:http').ServerResponse) =>
      void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    site = await startTestServer({
      '/feed.xml': (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FEED),
      '/news/': html(LIST),
      '/scripted/': html(SCRIPTED_LIST),
      '/p/1': html(article('证监会发布新规', '证监会今日发布关于加强上市公司监管的若干规定，自发布之日起施行。')),
      '/p/2': html(article('财政部发行特别国债', '财政部将于下周发行超长期特别国债，规模为一千亿元。')),
    });
  }, 300_000);
  afterAll(async () => {
    await site?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'adds, edits, disables and enables sources; refuses a bad one naming every field',
    { timeout: 900_000 },
    async () => {
      const add = await finrep(
        'sources',
        'add',
        '--kind',
        'rss',
        '--name',
        '测试财经',
        '--url',
        site.url('/feed.xml'),
        '--allow-private',
        '--key',
        'feed',
        '--json',
      );
      expect(add.code, add.stderr).toBe(0);
      expect(JSON.parse(add.stdout)).toMatchObject({ key: 'feed', kind: 'rss', enabled: true });

      const bad = await finrep(
        'sources',
        'add',
        '--kind',
        'web',
        '--name',
        'x',
        '--url',
        'file:///etc/passwd',
        '--item-selector',
        'a[',
        '--weight',
        '11',
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/url: must be an absolute http\(s\) URL/);
      expect(bad.stderr).toMatch(/rules\.itemSelector: not a CSS selector/);
      expect(bad.stderr).toMatch(/weight: must be between 0 and 10/);
      const noRules = await finrep('sources', 'add', '--kind', 'web', '--name', 'x', '--url', 'https://example.com/');
      expect(noRules.stderr).toMatch(/rules: are required for web sources/);
      expect(await list()).toHaveLength(1);

      expect((await finrep('sources', 'edit', 'feed', '--weight', '1.5', '--timezone', 'Asia/Shanghai')).code).toBe(0);
      expect((await finrep('sources', 'disable', 'feed')).code).toBe(0);
      expect((await list())[0]).toMatchObject({ key: 'feed', weight: 1.5, timezone: 'Asia/Shanghai', enabled: false });
      expect((await finrep('sources', 'enable', '1')).code).toBe(0);
      expect((await list())[0]).toMatchObject({ enabled: true });
      expect((await finrep('sources', 'disable', 'nope')).stderr).toMatch(/no source nope/);
    },
  );

  it(
    'tests an unsaved dynamic definition in Chromium: the scripted list yields its items',
    { timeout: 900_000 },
    async () => {
      const before = (await list()).length;
      const args = ['--url', site.url('/scripted/'), '--allow-private', '--item-selector', 'ul.news a'];
      const rules = ['--title-selector', 'h1.t', '--date-selector', '.d', '--content-selector', '.c'];
      const dynamic = await finrep(
        'sources',
        'test',
        '--kind',
        'dynamic',
        '--name',
        '动态',
        ...args,
        ...rules,
        '--wait-for',
        'ul.news a',
      );
      expect(dynamic.code, dynamic.stderr).toBe(0);
      expect(dynamic.stdout).toContain('2 items');
      expect(dynamic.stdout).toContain('1. 证监会发布新规');
      expect(dynamic.stdout).toContain(site.url('/p/2'));
      expect(dynamic.stdout).toContain('证监会今日发布关于加强上市公司监管');
      // The same page fetched without a browser has no links: the items came from the rendered page.
      const plain = await finrep('sources', 'test', '--kind', 'web', '--name', '静态', ...args, ...rules, '--json');
      expect((JSON.parse(plain.stdout) as { items: unknown[] }).items).toHaveLength(0);
      expect(await list()).toHaveLength(before); // nothing stored
    },
  );

  it(
    'tests a stored feed and an unsaved web definition, printing items and storing nothing',
    { timeout: 900_000 },
    async () => {
      const feed = await finrep('sources', 'test', 'feed', '--json');
      expect(feed.code, feed.stderr).toBe(0);
      const p = JSON.parse(feed.stdout) as { ok: boolean; items: Record<string, unknown>[] };
      expect(p.ok).toBe(true);
      expect(p.items).toHaveLength(2);
      expect(p.items[0]).toMatchObject({
        title: '央行宣布下调存款准备金率0.5个百分点',
        url: 'http://127.0.0.1/a/1',
        published_at: '2025-11-10T00:30:00.000Z',
        excerpt: expect.stringContaining('存款准备金率'),
      });

      const web = await finrep(
        'sources',
        'test',
        '--kind',
        'web',
        '--name',
        '监管',
        '--url',
        site.url('/news/'),
        '--allow-private',
        '--item-selector',
        'ul.news a',
        '--title-selector',
        'h1.t',
        '--date-selector',
        '.d',
        '--content-selector',
        '.c',
      );
      expect(web.code, web.stderr).toBe(0);
      expect(web.stdout).toContain('2 items');
      expect(web.stdout).toContain('1. 证监会发布新规');
      expect(web.stdout).toContain(site.url('/p/1'));
      expect(web.stdout).toContain('2025-11-10T01:15:00.000Z');
      expect(web.stdout).toContain('证监会今日发布关于加强上市公司监管');
      expect(await list()).toHaveLength(1); // nothing stored

      const down = await finrep(
        'sources',
        'test',
        '--kind',
        'rss',
        '--name',
        'gone',
        '--url',
        site.url('/missing.xml'),
        '--allow-private',
      );
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/404/);
    },
  );

  it('round-trips YAML, JSON and OPML; re-import changes nothing', { timeout: 900_000 }, async () => {
    const file = path.join(dir, 'sources.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'sources:',
        '  - key: policy',
        '    name: 政策观察',
        '    kind: web',
        `    url: ${site.url('/news/')}`,
        '    allowPrivate: true',
        '    weight: 1.5',
        '    rules:',
        '      itemSelector: ul.news a',
        '      titleSelector: h1.t',
        '      maxItems: 30',
        '  - name: 电报',
        '    kind: dynamic',
        '    url: https://example.com/live',
        '    enabled: false',
        '    rules: { itemSelector: "#list a", waitForSelector: "#list" }',
        '',
      ].join('\n'),
    );
    const imp = await finrep('sources', 'import', file, '--json');
    expect(imp.code, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ created: 2, updated: 0, unchanged: 0 });

    for (const format of ['yaml', 'json'] as const) {
      const out = path.join(dir, `export.${format}`);
      expect((await finrep('sources', 'export', '-o', out)).code).toBe(0);
      const again = await finrep('sources', 'import', out, '--json');
      expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    }
    const yaml = readFileSync(path.join(dir, 'export.yaml'), 'utf8');
    expect(yaml).toContain('itemSelector: ul.news a');
    expect(yaml).toContain('waitForSelector: "#list"');

    const opml = await finrep('sources', 'export', '--format', 'opml');
    expect(opml.stdout).toContain(`xmlUrl="${site.url('/feed.xml')}"`);
    expect(opml.stdout).not.toContain('/news/');
    expect(opml.stderr).toMatch(/not exported: policy, dynamic:example\.com:/);

    // a feed reader's OPML: nested folders, entities; imported twice → the same sources
    const reader = path.join(dir, 'reader.opml');
    writeFileSync(
      reader,
      '<?xml version="1.0"?>\n<opml version="1.0"><head/><body>\n<outline text="财经">\n' +
        '  <outline text="Caixin &amp; Co" type="rss" xmlUrl="https://example.com/caixin.xml"/>\n' +
        '  <outline title="Yicai" text="x" xmlUrl="https://example.com/yicai.xml?a=1&amp;b=2"/>\n</outline></body></opml>\n',
    );
    expect(JSON.parse((await finrep('sources', 'import', reader, '--json')).stdout)).toMatchObject({ created: 2 });
    expect(JSON.parse((await finrep('sources', 'import', reader, '--json')).stdout)).toMatchObject({
      created: 0,
      unchanged: 2,
    });
    const names = (await list()).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['Caixin & Co', 'Yicai']));
    expect((await list()).find((s) => s.name === 'Yicai')).toMatchObject({
      url: 'https://example.com/yicai.xml?a=1&b=2',
    });
  });

  it('an OPML import over an existing feed keeps its rules, weight and headers, and says so', async () => {
    const url = 'https://opml.example/feed.xml';
    const yaml = path.join(dir, 'rules.yaml');
    writeFileSync(
      yaml,
      `version: 1\nsources:\n  - key: opml-feed\n    name: 旧标题\n    kind: rss\n    url: ${url}\n    weight: 2.5\n    headers: { X-Token: abc }\n    rules: { maxItems: 7, budgetSec: 20 }\n`,
    );
    expect((await finrep('sources', 'import', yaml)).code).toBe(0);
    const opml = path.join(dir, 'reader2.opml');
    writeFileSync(
      opml,
      `<opml version="2.0"><body>\n<outline text="新标题" type="rss" xmlUrl="${url}"/>\n</body></opml>\n`,
    );
    const dry = await finrep('sources', 'import', opml, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('updated   opml-feed (name) — kept rules, weight, headers (not in the file)');
    const r = await finrep('sources', 'import', opml, '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      created: 0,
      updated: 1,
      sources: [{ key: 'opml-feed', outcome: 'updated', changed: ['name'], kept: ['rules', 'weight', 'headers'] }],
    });
    expect((await list()).find((s) => s.key === 'opml-feed')).toMatchObject({
      name: '新标题',
      weight: 2.5,
      rules: { maxItems: 7, budgetSec: 20 },
    });
    expect((await finrep('sources', 'remove', 'opml-feed')).code).toBe(0);
  });

  it.each([
    {
      name: 'YAML with several wrong definitions',
      file: 'bad.yaml',
      text: 'sources:\n  - name: ok\n    kind: rss\n    url: https://example.com/ok.xml\n  - name: web\n    kind: web\n    url: https://example.com/\n    rules:\n      itemSelector: "ul li a["\n      titelSelector: h1\n  - kind: blog\n    url: https://example.com/b\n',
      lines: [
        /^bad\.yaml:9:21: sources\[1\]\.rules\.itemSelector: not a CSS selector/m,
        /^bad\.yaml:10:\d+: sources\[1\]\.rules\.titelSelector: unknown field$/m,
        /^bad\.yaml:11:11: sources\[2\]\.kind: must be one of rss, web, dynamic$/m,
      ],
    },
    {
      name: 'broken YAML',
      file: 'broken.yaml',
      text: 'sources:\n  - name: a\n   kind: [\n',
      lines: [/^broken\.yaml:3:\d+: not valid YAML/m],
    },
    {
      name: 'JSON with a trailing comma',
      file: 'bad.json',
      text: '{\n  "sources": [\n    {"name": "a", "kind": "rss", "url": "https://example.com/f"},\n  ]\n}\n',
      lines: [/^finrep: error: bad\.json:4:3: not valid JSON: Unexpected token '\]'; nothing imported$/m],
    },
    {
      name: 'JSON with a duplicate key and a non-http URL',
      file: 'dup.json',
      text: '[\n {"key": "a", "name": "A", "kind": "rss", "url": "https://example.com/1"},\n {"key": "a", "name": "B", "kind": "rss", "url": "javascript:alert(1)"}\n]\n',
      lines: [
        /^finrep: error: dup\.json: 2 problems/m,
        /^dup\.json:3:50: \[1\]\.url: must be an absolute http\(s\) URL$/m,
      ],
    },
    {
      name: 'OPML outline without a feed URL',
      file: 'bad.opml',
      text: '<opml version="2.0"><body>\n<outline text="A" type="rss"/>\n</body></opml>',
      lines: [/^finrep: error: bad\.opml:2:1: outline\[0\]: type="rss" but no xmlUrl; nothing imported$/m],
    },
  ])('$name: refused with line and field, nothing imported', { timeout: 900_000 }, async ({ file, text, lines }) => {
    const before = (await list()).length;
    writeFileSync(path.join(dir, file), text);
    const r = await finrep('sources', 'import', file);
    expect(r.code).toBe(1);
    for (const l of lines) expect(r.stderr).toMatch(l);
    expect(await list()).toHaveLength(before);
  });

  it(
    'removes a source without articles; recipients export round-trips through import',
    { timeout: 900_000 },
    async () => {
      expect((await finrep('sources', 'remove', 'policy')).code).toBe(0);
      expect((await list()).some((s) => s.key === 'policy')).toBe(false);

      const csv = path.join(dir, 'r.csv');
      writeFileSync(csv, 'email,name,groups\nzhang@example.com,"张, 三",研究部;投资部\nli@example.com,,\n');
      expect((await finrep('recipients', 'import', csv)).code).toBe(0);
      const out = path.join(dir, 'r-out.csv');
      expect((await finrep('recipients', 'export', '-o', out)).code).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).toBe('\uFEFFemail,name,groups\r\nzhang@example.com,"张, 三",投资部;研究部\r\nli@example.com,,\r\n');
      const again = await finrep('recipients', 'import', out, '--json');
      expect(JSON.parse(again.stdout)).toMatchObject({ valid: 2, created: 0, invalid: [] });
      const listed = JSON.parse((await finrep('recipients', 'list', '--json')).stdout) as {
        email: string;
        name: string;
        groups: string[];
      }[];
      expect(listed.find((r) => r.email === 'zhang@example.com')).toMatchObject({
        name: '张, 三',
        groups: ['投资部', '研究部'],
      });
    },
  );
});
