import { describe, expect, it } from 'vitest';
import { editionLabel, formatTime, moodShares, moodSummary, safeUrl, toWallClockDate, weekdayOf } from './format.ts';

describe('formatTime', () => {
  const cases = [
    { name: 'Shanghai is UTC+8', date: '2025-11-09T08:00:00Z', tz: 'Asia/Shanghai', want: '11-09 16:00' },
    { name: 'crosses midnight', date: '2025-11-09T18:05:00Z', tz: 'Asia/Shanghai', want: '11-10 02:05' },
    { name: 'midnight is 00, not 24', date: '2025-11-09T16:00:00Z', tz: 'Asia/Shanghai', want: '11-10 00:00' },
    { name: 'New York in winter', date: '2025-11-09T18:05:00Z', tz: 'America/New_York', want: '11-09 13:05' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(formatTime(new Date(c.date), c.tz)).toBe(c.want));
  }
  it('is empty for a missing or invalid date', () => {
    expect(formatTime(null, 'Asia/Shanghai')).toBe('');
    expect(formatTime(new Date('nope'), 'Asia/Shanghai')).toBe('');
  });
});

describe('weekdayOf / editionLabel', () => {
  const cases = [
    { name: 'a Monday', edition: '2025-11-10', want: '周一' },
    { name: 'a Sunday', edition: '2025-11-09', want: '周日' },
    { name: 'a leap day', edition: '2024-02-29', want: '周四' },
    { name: 'not a date', edition: '2025/11/10', want: '' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(weekdayOf(c.edition)).toBe(c.want));
  }
  it('labels the edition', () => expect(editionLabel('2025-11-10')).toBe('2025-11-10（周一）'));
});

describe('safeUrl', () => {
  const cases = [
    { name: 'https', url: 'https://example.cn/a?b=1', want: 'https://example.cn/a?b=1' },
    { name: 'http with spaces around', url: '  http://example.cn/a ', want: 'http://example.cn/a' },
    { name: 'javascript', url: 'javascript:alert(1)', want: null },
    { name: 'javascript, mixed case and whitespace', url: ' JaVaScRiPt:alert(1)', want: null },
    { name: 'javascript with a tab inside', url: 'java\tscript:alert(1)', want: null },
    { name: 'data', url: 'data:text/html,<script>alert(1)</script>', want: null },
    { name: 'vbscript', url: 'vbscript:msgbox(1)', want: null },
    { name: 'relative', url: '/a/b.html', want: null },
    { name: 'protocol-relative', url: '//evil.example/x', want: null },
    { name: 'empty', url: '', want: null },
  ];
  for (const c of cases) {
    it(c.name, () => expect(safeUrl(c.url)).toBe(c.want));
  }
  it('percent-encodes markup characters', () => {
    expect(safeUrl('https://example.cn/"><script>')).toBe('https://example.cn/%22%3E%3Cscript%3E');
  });
});

describe('mood', () => {
  it('shares sum to 100', () => {
    const s = moodShares({ positive: 1, neutral: 1, negative: 1 });
    expect(s.positive + s.neutral + s.negative).toBe(100);
  });
  it('reads the balance', () => {
    expect(moodSummary({ positive: 11, neutral: 5, negative: 5 })).toBe('整体偏多');
    expect(moodSummary({ positive: 0, neutral: 0, negative: 0 })).toBe('暂无情绪数据');
    expect(moodSummary({ positive: 1, neutral: 2, negative: 9 })).toBe('整体明显偏空');
  });
});

describe('toWallClockDate', () => {
  it('gives a Date whose UTC fields are the zone wall clock', () => {
    const d = toWallClockDate(new Date('2025-11-09T22:30:00Z'), 'Asia/Shanghai');
    expect(d.toISOString()).toBe('2025-11-10T06:30:00.000Z');
  });
});
