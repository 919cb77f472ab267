import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { pageName, readPage } from './extract-text.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'finrep-extract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, body: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
};

describe('pageName', () => {
  it.each([
    { file: '/x/abc.html.gz', expected: 'abc' },
    { file: 'abc.html', expected: 'abc' },
    { file: 'ABC.HTM', expected: 'ABC' },
    { file: 'a.b.html', expected: 'a.b' },
    { file: 'page.gz', expected: 'page' },
    { file: 'noext', expected: 'noext' },
  ])('$file → $expected', ({ file: f, expected }) => {
    expect(pageName(f)).toBe(expected);
  });
});

describe('readPage', () => {
  const html = '<html><head><meta charset="gbk"><title>沪指收涨</title></head><body><p>沪指收涨0.62%</p></body></html>';

  it('decodes a declared GBK page and a gzipped one', () => {
    expect(readPage(file('a.html', iconv.encode(html, 'gbk')))).toBe(html);
    expect(readPage(file('a2.html.gz', gzipSync(iconv.encode(html, 'gbk'))))).toBe(html);
  });

  it('refuses a broken gzip and a gzip bomb', () => {
    expect(() => readPage(file('b.html.gz', 'plain text'))).toThrow(/b\.html\.gz: not valid gzip/);
    expect(() => readPage(file('bomb.html.gz', gzipSync(Buffer.alloc(60 * 1024 * 1024))))).toThrow(
      /more than 52428800 bytes once decompressed/,
    );
  });

  it('names the file it cannot read', () => {
    expect(() => readPage(path.join(dir, 'missing.html'))).toThrow(/missing\.html: cannot read \(ENOENT\)/);
  });
});
