import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeBody, detectCharset, normalizeCharset } from './charset.ts';

const zh = '央行宣布下调存款准备金率0.25个百分点，释放长期流动性约5000亿元。';
const tw = '中央銀行宣布調降存款準備率';
const gbk = (s: string) => iconv.encode(s, 'gbk');
const html = (head: string, body = zh) =>
  `<html><head>${head}<title>t</title></head><body><p>${body}</p></body></html>`;

describe('detectCharset / decodeBody', () => {
  it.each([
    {
      name: 'UTF-8 BOM beats a wrong header',
      buf: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(zh)]),
      ct: 'text/html; charset=gbk',
      charset: 'utf-8',
      source: 'bom',
    },
    { name: 'header charset=GBK', buf: gbk(zh), ct: 'text/html; charset=GBK', charset: 'gb18030', source: 'header' },
    {
      name: 'header charset="gb2312" (quoted)',
      buf: gbk(zh),
      ct: 'text/html; charset="gb2312"',
      charset: 'gb18030',
      source: 'header',
    },
    { name: 'header x-gbk', buf: gbk(zh), ct: 'text/xml; charset=x-gbk', charset: 'gb18030', source: 'header' },
    {
      name: 'GBK only in <meta charset>',
      buf: gbk(html('<meta charset="gbk">')),
      ct: 'text/html',
      charset: 'gb18030',
      source: 'document',
    },
    {
      name: 'GB2312 in <meta http-equiv>',
      buf: gbk(html('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')),
      ct: null,
      charset: 'gb18030',
      source: 'document',
    },
    {
      name: 'XML declaration encoding',
      buf: gbk(`<?xml version="1.0" encoding="GB2312"?><rss><channel><title>${zh}</title></channel></rss>`),
      ct: 'application/xml',
      charset: 'gb18030',
      source: 'document',
    },
    {
      name: 'Big5 in <meta>',
      buf: iconv.encode(html('<meta charset="big5">', tw), 'big5'),
      ct: 'text/html',
      charset: 'big5',
      source: 'document',
      text: tw,
    },
    {
      name: 'no declaration, valid UTF-8',
      buf: Buffer.from(html('')),
      ct: 'text/html',
      charset: 'utf-8',
      source: 'utf8-valid',
    },
    { name: 'no declaration, GBK bytes', buf: gbk(html('')), ct: 'text/html', charset: 'gb18030', source: 'fallback' },
    {
      name: 'unknown label falls through to sniffing',
      buf: Buffer.from(zh),
      ct: 'text/html; charset=klingon',
      charset: 'utf-8',
      source: 'utf8-valid',
    },
  ])('$name', ({ buf, ct, charset, source, text }) => {
    expect(detectCharset(buf, ct)).toEqual({ charset, source });
    expect(decodeBody(buf, ct)).toContain(text ?? zh);
  });

  it('reads GBK content mislabelled as UTF-8 in the page', () => {
    const buf = gbk(html('<meta charset="utf-8">'));
    expect(decodeBody(buf, 'text/html')).toContain(zh);
  });

  it('strips the BOM from the decoded text', () => {
    expect(decodeBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('abc')]), null)).toBe('abc');
  });
});

describe('normalizeCharset', () => {
  it.each([
    { name: 'gbk', label: 'GBK', expected: 'gb18030' },
    { name: 'gb2312', label: 'gb2312', expected: 'gb18030' },
    { name: 'utf8 without dash', label: 'utf8', expected: 'utf-8' },
    { name: 'big5-hkscs', label: 'Big5-HKSCS', expected: 'big5' },
    { name: 'latin1 → windows-1252 (WHATWG)', label: 'iso-8859-1', expected: 'windows-1252' },
    { name: 'unknown', label: 'klingon', expected: null },
  ])('$name', ({ label, expected }) => {
    expect(normalizeCharset(label)).toBe(expected);
  });
});
