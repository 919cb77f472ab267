/**
 * The machine-readable contracts of DESIGN §6, through the real command (`node bin/finrep.js …`):
 * `finrep dedup --jsonl FILE` and `finrep extract-text [--json] FILE...`.
 */
import { corpusDir } from './helpers/corpora.ts';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterItems, dedupDoc } from '../src/dedup/cluster.ts';
import { simhash, toHex } from '../src/dedup/simhash.ts';
import { buildNearDupSet } from '../src/dedup/testdata/neardup/index.ts';
import { templatedReports } from '../src/dedup/testdata/templated.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');
const CORPUS = corpusDir('article-extraction');
const CN_PAGE = path.resolve(import.meta.dirname, '../src/collect/testdata/cn-news-article.html');
const cwd = mkdtempSync(path.join(tmpdir(), 'finrep-dedup-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function finrep(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TZ: 'Asia/Shanghai' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(cwd, name);
  writeFileSync(p, content);
  return p;
}

describe('finrep dedup --jsonl', () => {
  // Every document of eight stories (originals, reposts, twins) and two days of the A-share close template.
  const picked = new Set<string>();
  const docs = buildNearDupSet().filter((d) => {
    const base = d.id.split('~')[0]!;
    if (picked.size < 8 && !picked.has(base) && d.kind === 'original' && d.group.startsWith('company:'))
      picked.add(base);
    return picked.has(base) || d.id.startsWith('tpl-close-2026-02-1');
  });

  it('writes one {id, simhash, cluster} line per input line, deciding as clusterItems', () => {
    const lines = docs.map((d, i) =>
      JSON.stringify(
        i % 5 === 0
          ? { id: d.id, title: d.title, text: d.text } // undated
          : { id: d.id, title: d.title, text: d.text, published: d.publishedAt.toISOString() },
      ),
    );
    const r = finrep(['dedup', '--jsonl', file('in.jsonl', `${lines.join('\n')}\n`)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; simhash: string; cluster: string });
    expect(out.map((o) => o.id)).toEqual(docs.map((d) => d.id));
    const expected = clusterItems(
      docs.map((d, i) =>
        Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: i % 5 === 0 ? null : d.publishedAt }),
      ),
    );
    out.forEach((o, i) => {
      expect(Object.keys(o)).toEqual(['id', 'simhash', 'cluster']);
      expect(o.simhash).toMatch(/^[0-9a-f]{16}$/);
      expect(o.simhash).toBe(toHex(simhash(docs[i]!.title, docs[i]!.text)));
      expect(o.cluster).toBe(expected.get(o.id));
    });
    // The reposts of a story land in its cluster; two days of the template do not.
    const clusterOf = new Map(out.map((o) => [o.id, o.cluster]));
    const base = [...picked][0]!;
    expect(clusterOf.get(`${base}~combined`)).toBe(clusterOf.get(base));
    expect(clusterOf.get('tpl-close-2026-02-10')).not.toBe(clusterOf.get('tpl-close-2026-02-11'));
  });

  it('keeps numeric ids numeric, skips blank lines, reads stdin with "-"', () => {
    const input =
      '{"id":1,"title":"央行降准0.25个百分点","text":"中国人民银行宣布下调存款准备金率0.25个百分点，释放约5000亿元。"}\n\n' +
      '{"id":2,"title":"【财联社】央行降准0.25个百分点","text":"财联社电，中国人民银行宣布下调存款准备金率0.25个百分点，释放约5000亿元。\\n\\n责任编辑：王敏"}\n';
    const r = finrep(['dedup', '--jsonl', '-'], input);
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((o) => [o.id, o.cluster])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(out[0].simhash).toBe(out[1].simhash);
  });

  // Every kind of bad line is covered by src/cli/dedup.test.ts (parseDedupLine); one end to end here.
  it('fails with one line naming the bad line', () => {
    const r = finrep([
      'dedup',
      '--jsonl',
      file('bad.jsonl', '{"id":"a","title":"t","text":"x"}\n\n{"id": "b", oops}\n'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^finrep: error: line 3: not valid JSON/);
  });

  // 2,000 templated reports (~5 MB: several 1 MB chunks) with reposts, some undated, lines ending in \n, \r\n
  // or \r, blank lines between: worker threads must give the same bytes as fingerprinting in this thread.
  describe('on a templated corpus, with worker threads or without', () => {
    const reports = templatedReports(2000, { repostShare: 0.1 });
    const line = (d: (typeof reports)[number], i: number) =>
      JSON.stringify(
        i % 97 === 0
          ? { id: d.id, title: d.title, text: d.text }
          : { id: i % 3 === 0 ? i : d.id, title: d.title, text: d.text, published: d.publishedAt.toISOString() },
      );
    const input = reports.map((d, i) => line(d, i) + ['\n', '\r\n', '\r', '\n\n'][i % 4]).join('');

    it('writes the same bytes with 0, 1 and 2 worker threads, deciding as clusterItems', () => {
      const f = file('templated.jsonl', input);
      const runs = [0, 1, 2].map((t) => finrep(['dedup', '--jsonl', f, '--threads', String(t)]));
      for (const r of runs) {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
      expect(runs[2]!.stdout).toBe(runs[0]!.stdout);
      const out = runs[0]!.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string | number; simhash: string; cluster: string | number });
      const items = reports.map((d, i) =>
        Object.assign(dedupDoc(d.title, d.text), {
          id: i % 97 !== 0 && i % 3 === 0 ? i : d.id,
          publishedAt: i % 97 === 0 ? null : d.publishedAt,
        }),
      );
      const expected = clusterItems(items);
      expect(out.map((o) => o.id)).toEqual(items.map((it) => it.id));
      out.forEach((o, i) => {
        expect(o.simhash).toBe(toHex(items[i]!.simhash));
        expect(o.cluster).toBe(expected.get(o.id));
      });
      // Reposts joined their originals: there are stories of more than one report.
      expect(new Set(out.map((o) => o.cluster)).size).toBeLessThan(out.length);
      expect(new Set(out.map((o) => o.cluster)).size).toBeGreaterThan(1500);
    });

    it('writes the same bytes when the reports come out of publication order', () => {
      const shuffled = input
        .split(/\r\n|\n|\r/)
        .reverse()
        .join('\n');
      const f = file('templated-reversed.jsonl', shuffled);
      const [inline, workers] = [0, 2].map((t) => finrep(['dedup', '--jsonl', f, '--threads', String(t)]));
      expect(inline!.code).toBe(0);
      expect(workers!.stdout).toBe(inline!.stdout);
      // The same stories as in publication order: only the line order differs.
      const inOrder = finrep(['dedup', '--jsonl', file('templated-in-order.jsonl', input), '--threads', '0']);
      const sorted = (s: string) => s.trim().split('\n').sort();
      expect(sorted(inline!.stdout)).toEqual(sorted(inOrder.stdout));
    });

    it('names the same bad line, with the same line number, in a later chunk', () => {
      const lines = input.split(/\r\n|\n|\r/);
      const bad = [...lines];
      bad[1700] = '{"id": "x", oops}';
      const dup = [...lines];
      dup[1500] = dup[3]!; // a repeated id before the bad line wins, as it would reading line by line
      dup[1700] = '{"id": "x", oops}';
      for (const [name, text, message] of [
        ['bad.jsonl', bad.join('\n'), /^finrep: error: line 1701: not valid JSON/],
        ['dup.jsonl', dup.join('\n'), /^finrep: error: line 1501: id .* was already used on line 4$/],
      ] as const) {
        const f = file(name, text);
        for (const t of [0, 2]) {
          const r = finrep(['dedup', '--jsonl', f, '--threads', String(t)]);
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.stderr.trim()).toMatch(message);
        }
      }
    });
  });

  it('fails clearly on a missing file', () => {
    const missing = finrep(['dedup', '--jsonl', path.join(cwd, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^finrep: error: .*nope\.jsonl: cannot read \(ENOENT\)$/);
  });
});

// The article corpus lies beside the repository (or in FINREP_CORPORA); a clone without it skips these.
const hasCorpus = existsSync(path.join(CORPUS, 'ground-truth.json'));

describe.skipIf(!hasCorpus)('finrep extract-text', () => {
  const truth = (hasCorpus ? JSON.parse(readFileSync(path.join(CORPUS, 'ground-truth.json'), 'utf8')) : {}) as Record<
    string,
    { articleBody: string }
  >;
  const id = Object.keys(truth).sort()[0] ?? '';

  it('extracts .html.gz, .html and GBK pages into one JSON object keyed by file name', () => {
    const gz = path.join(cwd, `${id}.html.gz`);
    copyFileSync(path.join(CORPUS, 'html', `${id}.html.gz`), gz);
    const utf8 = file('cn-news.html', readFileSync(CN_PAGE));
    const gbkHtml = readFileSync(CN_PAGE, 'utf8').replace(/charset="?utf-8"?/i, 'charset="gbk"');
    const gbk = file('cn-news-gbk.html', iconv.encode(gbkHtml, 'gbk'));
    const undeclared = file(
      'cn-news-undeclared.htm.gz',
      gzipSync(iconv.encode(gbkHtml.replace(/<meta[^>]*charset[^>]*>/i, ''), 'gb18030')),
    );
    const r = finrep(['extract-text', '--json', gz, utf8, gbk, undeclared]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<
      string,
      { title: string | null; articleBody: string; author: string | null; publishedAt: string | null }
    >;
    expect(Object.keys(out)).toEqual([id, 'cn-news', 'cn-news-gbk', 'cn-news-undeclared']);
    for (const v of Object.values(out))
      expect(Object.keys(v)).toEqual(['title', 'articleBody', 'author', 'publishedAt']);
    expect(out[id]!.articleBody.slice(0, 80)).toBe(truth[id]!.articleBody.slice(0, 80));
    expect(out['cn-news']!.title).toBe('国家统计局：10月CPI同比上涨0.2% 核心CPI涨幅连续回升');
    expect(out['cn-news']!.publishedAt).toBe('2025-11-09T01:30:00.000Z');
    expect(out['cn-news']!.articleBody).toMatch(/^国家统计局今日发布数据显示/);
    expect(out['cn-news-gbk']).toEqual(out['cn-news']);
    expect(out['cn-news-undeclared']).toEqual(out['cn-news']);
  });

  it('prints a readable text without --json', () => {
    const r = finrep(['extract-text', CN_PAGE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^== cn-news-article\n国家统计局：10月CPI同比上涨0\.2%/);
  });

  it('fails clearly on a file it cannot read', () => {
    const r = finrep(['extract-text', '--json', CN_PAGE, path.join(cwd, 'missing.html')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^finrep: error: .*missing\.html: cannot read \(ENOENT\)$/);
  });
});
