import { describe, expect, it } from 'vitest';
import {
  CJK,
  NUM,
  WORD,
  isSignificantNumber,
  numberTokens,
  scanNumber,
  significantNumbers,
  tokenize,
} from './features.ts';
import { prng } from './testdata/neardup/prng.ts';

/** The documented meaning of `scanNumber`, as a regex. */
const NUMBER = /\d+(?:,\d{3})*(?:\.\d+)?(?: ?(?:%|万亿|亿|万|千))?/y;

describe('scanNumber', () => {
  it.each([
    { name: 'an integer', s: '报3386点', at: 1, end: 5 },
    { name: 'a decimal with a percent sign', s: '涨0.62%，', at: 1, end: 6 },
    { name: 'thousands separators', s: '1,985亿美元', at: 0, end: 6 },
    { name: 'a broken separator group stops', s: '1,98亿', at: 0, end: 1 },
    { name: '万亿 before 万', s: '1.2万亿元', at: 0, end: 5 },
    { name: 'a space before the unit', s: '15 %', at: 0, end: 4 },
    { name: 'a trailing dot is not a decimal', s: '600519.sh', at: 0, end: 6 },
  ])('$name', ({ s, at, end }) => {
    expect(scanNumber(s, at)).toBe(end);
  });

  it('matches its regex definition on 5,000 generated strings', () => {
    const rand = prng(5);
    const alphabet = ['1', '2', '0', '9', ',', '.', ' ', '%', '万', '亿', '千', '元', 'a'];
    for (let n = 0; n < 5000; n++) {
      const s = `${Math.floor(rand() * 10)}${Array.from({ length: 1 + Math.floor(rand() * 10) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')}`;
      NUMBER.lastIndex = 0;
      const m = NUMBER.exec(s);
      expect(scanNumber(s, 0), s).toBe(m![0].length);
    }
  });
});

describe('numbers', () => {
  it('reads number tokens in order, without separators', () => {
    expect(numberTokens('沪指收涨0.62%报3,386.25点，成交1.2万亿，h20芯片')).toEqual([
      '0.62%',
      '3386.25',
      '1.2万亿',
      '20',
    ]);
  });

  it.each([
    { t: '0.62%', expected: true },
    { t: '1.2万亿', expected: true },
    { t: '3386.25', expected: true },
    { t: '600519', expected: true },
    { t: '5%', expected: false },
    { t: '10%', expected: false },
    { t: '12%', expected: true },
    { t: '2025', expected: false },
    { t: '99', expected: false },
    { t: '100', expected: true },
  ])('$t is significant: $expected', ({ t, expected }) => {
    expect(isSignificantNumber(t)).toBe(expected);
  });

  it('reads significant numbers: decimals, units, non-round percentages, large non-year integers', () => {
    expect(
      [...significantNumbers('沪指收涨0.62% 报3386.25点，成交1.2万亿，涨幅5%，2025年11月10日，600519，10家')].sort(),
    ).toEqual(['0.62%', '1.2万亿', '3386.25', '600519']);
  });
});

describe('tokenize', () => {
  it('splits CJK characters, Latin words and numbers, and marks what is joined', () => {
    const s = '沪指收涨0.62%,a股cpi 上涨';
    const t = tokenize(s);
    const got = Array.from({ length: t.count }, (_, i) => [s.slice(t.start[i], t.end[i]), t.kind[i], t.joined[i]]);
    expect(got).toEqual([
      ['沪', CJK, 0],
      ['指', CJK, 1],
      ['收', CJK, 1],
      ['涨', CJK, 1],
      ['0.62%', NUM, 1],
      ['a', WORD, 0],
      ['股', CJK, 1],
      ['cpi', WORD, 1],
      ['上', CJK, 0],
      ['涨', CJK, 1],
    ]);
  });

  it('grows its buffers for long texts', () => {
    expect(tokenize('增长'.repeat(10_000)).count).toBe(20_000);
  });
});
