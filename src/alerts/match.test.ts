import { describe, expect, it } from 'vitest';
import type { Extraction } from '../domain.ts';
import { inQuietHours, matchRule } from './match.ts';
import type { MatchRule } from './match.ts';
import { AlertRuleInputError, parseQuiet } from './rules.ts';

const extraction = (over: Partial<Extraction> = {}): Extraction => ({
  summary: '贵州茅台公告拟回购股份，金额不超过50亿元。',
  category: 'company',
  event_type: 'buyback',
  sentiment: 'positive',
  sentiment_score: 0.6,
  importance: 4,
  entities: { companies: [{ name: '贵州茅台', ticker: '600519.SH' }], people: [], institutions: [] },
  keywords: ['回购'],
  region: 'CN',
  ...over,
});
const story = { title: '贵州茅台拟斥资50亿元回购', extraction: extraction() };
const rule = (over: Partial<MatchRule>): MatchRule => ({
  tickers: [],
  companies: [],
  keywords: [],
  minImportance: 0,
  sentiment: null,
  ...over,
});

describe('matchRule', () => {
  it.each([
    { name: 'bare code names the suffixed ticker', r: rule({ tickers: ['600519'] }), hits: ['600519'] },
    { name: 'same suffix', r: rule({ tickers: ['600519.SH'] }), hits: ['600519.SH'] },
    { name: 'another exchange is another security', r: rule({ tickers: ['600519.SZ'] }), hits: null },
    { name: 'company in the entities', r: rule({ companies: ['贵州茅台'] }), hits: ['贵州茅台'] },
    { name: 'keyword, case-insensitive', r: rule({ keywords: ['回购', 'IPO'] }), hits: ['回购'] },
    { name: 'no keyword present', r: rule({ keywords: ['减持'] }), hits: null },
    { name: 'importance too low', r: rule({ keywords: ['回购'], minImportance: 5 }), hits: null },
    { name: 'other sentiment', r: rule({ keywords: ['回购'], sentiment: 'negative' }), hits: null },
    { name: 'nothing named: importance alone', r: rule({ minImportance: 4 }), hits: [] },
  ])('$name', ({ r, hits }) => {
    expect(matchRule(r, story)).toEqual(hits);
  });

  it('a bare suffixed rule ticker matches a bare extracted code', () => {
    const bare = {
      ...story,
      extraction: extraction({
        entities: { companies: [{ name: 'x', ticker: '600519' }], people: [], institutions: [] },
      }),
    };
    expect(matchRule(rule({ tickers: ['600519.SH'] }), bare)).toEqual(['600519.SH']);
  });
});

describe('quiet hours', () => {
  const at = (utc: string) => new Date(utc);
  it.each([
    { name: 'inside a wrapping window (23:30 CST)', t: '2026-12-05T15:30:00Z', q: ['22:00', '07:00'], quiet: true },
    { name: 'inside after midnight (06:59 CST)', t: '2026-12-05T22:59:00Z', q: ['22:00', '07:00'], quiet: true },
    { name: 'its end is outside (07:00 CST)', t: '2026-12-05T23:00:00Z', q: ['22:00', '07:00'], quiet: false },
    { name: 'a daytime window (12:30 CST)', t: '2026-12-05T04:30:00Z', q: ['12:00', '13:00'], quiet: true },
    { name: 'none', t: '2026-12-05T04:30:00Z', q: [null, null], quiet: false },
  ])('$name', ({ t, q, quiet }) => {
    expect(inQuietHours(at(t), q[0]!, q[1]!, 'Asia/Shanghai')).toBe(quiet);
  });

  it('parses HH:MM-HH:MM and refuses the rest, naming the field', () => {
    expect(parseQuiet('22:00-07:00')).toEqual({ quietFrom: '22:00', quietTo: '07:00' });
    expect(parseQuiet('off')).toEqual({ quietFrom: null, quietTo: null });
    for (const bad of ['22-07', '24:00-07:00', '08:00-08:00', '1:00-2:00-3:00'])
      expect(() => parseQuiet(bad)).toThrow(AlertRuleInputError);
  });
});
