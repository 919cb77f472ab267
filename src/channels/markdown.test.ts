import { describe, expect, it } from 'vitest';
import { cut, fitItem, MAX_SUMMARY, neutraliseMarkdown, safeHttpUrl, splitDigest } from './markdown.ts';
import type { ChannelDigest, DigestItem } from './types.ts';

const item = (over: Partial<DigestItem> = {}): DigestItem => ({
  title: 't',
  url: 'https://a.example/x',
  source: 's',
  summary: 'summary',
  sentiment: 'neutral',
  sentimentScore: 0,
  importance: 50,
  tickers: [],
  category: 'c',
  ...over,
});

describe('safeHttpUrl', () => {
  it.each([
    { name: 'http', url: 'http://a.example/x', want: 'http://a.example/x' },
    {
      name: 'https with parens and quotes',
      url: 'https://a.example/a_(b)?q="x"',
      want: 'https://a.example/a_%28b%29?q=%22x%22',
    },
    { name: 'space and pipe', url: 'https://a.example/a b|c', want: 'https://a.example/a%20b%7Cc' },
    { name: 'javascript', url: 'javascript:alert(1)', want: null },
    { name: 'data', url: 'data:text/html,x', want: null },
    { name: 'relative', url: '/reports/1', want: null },
    { name: 'empty', url: '', want: null },
  ])('$name', ({ url, want }) => {
    expect(safeHttpUrl(url)).toBe(want);
  });
});

describe('neutraliseMarkdown', () => {
  it.each([
    { name: 'link', input: '[x](https://e.example)', want: '［x］（https://e.example）' },
    { name: 'emphasis', input: '**b** _i_ ~~s~~', want: '＊＊b＊＊ ＿i＿ ～～s～～' },
    { name: 'tags and mentions', input: '<at id=all></at> <@u>', want: '＜at id=all＞＜/at＞ ＜@u＞' },
    { name: 'newline heading', input: 'a\n# h\n> q', want: 'a ＃ h ＞ q' },
    { name: 'plain Chinese', input: '央行降准0.5个百分点', want: '央行降准0.5个百分点' },
  ])('$name', ({ input, want }) => {
    expect(neutraliseMarkdown(input)).toBe(want);
  });
});

describe('cut', () => {
  it('counts code points, never splits an emoji, marks the cut', () => {
    expect(cut('🟢🟢🟢', 2)).toBe('🟢🟢…');
    expect(cut('abc', 3)).toBe('abc');
  });
});

describe('fitItem', () => {
  const size = (it: DigestItem) => it.title.length + it.summary.length;

  it('keeps a story that fits as it is', () => {
    expect(fitItem(item(), () => true).summary).toBe('summary');
  });

  it('cuts the summary to the longest that fits, with …', () => {
    const got = fitItem(item({ summary: 'x'.repeat(500) }), (it) => size(it) <= 101);
    expect(got.summary).toBe(`${'x'.repeat(99)}…`);
  });

  it('cuts the title when even an empty summary does not fit', () => {
    const got = fitItem(item({ title: 'y'.repeat(200), summary: 'x' }), (it) => size(it) <= 50);
    expect(got.summary).toBe('');
    expect(size(got)).toBeLessThanOrEqual(50);
    expect(got.title.endsWith('…')).toBe(true);
  });

  it(`caps a summary at ${MAX_SUMMARY} characters whatever the platform`, () => {
    expect(Array.from(fitItem(item({ summary: 'x'.repeat(5000) }), () => true).summary)).toHaveLength(MAX_SUMMARY + 1);
  });
});

describe('splitDigest', () => {
  const digest = (n: number): ChannelDigest => ({
    kind: 'edition',
    title: 'T',
    edition: '2026-12-05',
    webViewUrl: null,
    items: Array.from({ length: n }, (_, i) => item({ title: `story-${i + 1}`, summary: 'x'.repeat(40) })),
  });
  // A toy platform: a part is its titles and summaries, at most 200 characters with a 20-character header.
  const layout = {
    build: (items: DigestItem[], first: number, part: number, parts: number) =>
      `${'h'.repeat(20)}(${part}/${parts})` + items.map((it, i) => `${first + i}.${it.title}${it.summary}`).join(''),
    fits: (body: unknown) => (body as string).length <= 200,
  };

  it.each([0, 1, 3, 10, 37])('%i stories: parts under the limit, in order, none lost', (n) => {
    const parts = splitDigest(digest(n), layout);
    expect(parts.length).toBeGreaterThanOrEqual(1);
    const all = parts.map((p) => p.body as string).join('');
    for (const p of parts) expect((p.body as string).length).toBeLessThanOrEqual(200);
    parts.forEach((p, i) => expect([p.part, p.parts]).toEqual([i + 1, parts.length]));
    for (let i = 1; i <= n; i++) expect(all).toContain(`${i}.story-${i}x`);
  });
});
