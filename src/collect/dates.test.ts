import { describe, expect, it } from 'vitest';
import { zonedToUtc } from '../lib/time.ts';
import { parseDate } from './dates.ts';

const SH = 'Asia/Shanghai';
// 2025-11-10 10:00 in Shanghai.
const now = new Date('2025-11-10T02:00:00Z');

describe('parseDate', () => {
  it.each([
    { name: 'RFC 822 with GMT', text: 'Mon, 10 Nov 2025 08:30:00 GMT', expected: '2025-11-10T08:30:00.000Z' },
    {
      name: 'RFC 822 with numeric offset',
      text: 'Mon, 10 Nov 2025 08:30:00 +0800',
      expected: '2025-11-10T00:30:00.000Z',
    },
    { name: 'RFC 822 with EDT, no seconds', text: 'Tue, 05 Apr 2022 06:27 EDT', expected: '2022-04-05T10:27:00.000Z' },
    {
      name: 'RFC 822 without weekday, 2-digit year',
      text: '10 Nov 25 08:30:00 GMT',
      expected: '2025-11-10T08:30:00.000Z',
    },
    {
      name: 'RFC 822 CST in a UTC+8 source means China time',
      text: 'Mon, 10 Nov 2025 08:30:00 CST',
      expected: '2025-11-10T00:30:00.000Z',
    },
    {
      name: 'RFC 822 without zone → source zone',
      text: 'Mon, 10 Nov 2025 08:30:00',
      expected: '2025-11-10T00:30:00.000Z',
    },
    { name: 'ISO 8601 UTC', text: '2025-11-10T08:30:00Z', expected: '2025-11-10T08:30:00.000Z' },
    {
      name: 'ISO 8601 with offset and millis',
      text: '2025-11-10T08:30:00.123+08:00',
      expected: '2025-11-10T00:30:00.000Z',
    },
    { name: 'ISO 8601 without zone → source zone', text: '2025-11-10T08:30:00', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'date and time with dashes', text: '2025-11-10 08:30', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'slashes with seconds', text: '2025/11/10 08:30:00', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'Chinese date and time', text: '2025年11月10日 08:30', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'Chinese date, no space', text: '2025年11月10日08:30', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'Chinese date only', text: '2025年11月10日', expected: '2025-11-09T16:00:00.000Z' },
    { name: 'Chinese date with weekday', text: '2025年11月10日 星期一 08:30', expected: '2025-11-10T00:30:00.000Z' },
    {
      name: 'full-width digits and colon',
      text: '２０２５年１１月１０日　０８：３０',
      expected: '2025-11-10T00:30:00.000Z',
    },
    { name: 'month-day this year', text: '11-10 08:30', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'month-day in the future → last year', text: '12-31 23:00', expected: '2024-12-31T15:00:00.000Z' },
    { name: 'Chinese month-day', text: '11月10日 08:30', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'hours ago', text: '3小时前', expected: '2025-11-09T23:00:00.000Z' },
    { name: 'minutes ago', text: '15分钟前', expected: '2025-11-10T01:45:00.000Z' },
    { name: 'days ago', text: '2天前', expected: '2025-11-08T02:00:00.000Z' },
    { name: 'just now', text: '刚刚', expected: '2025-11-10T02:00:00.000Z' },
    { name: 'yesterday with time', text: '昨天 08:30', expected: '2025-11-09T00:30:00.000Z' },
    { name: 'today with time', text: '今天 08:30', expected: '2025-11-10T00:30:00.000Z' },
    { name: 'surrounding whitespace', text: '  2025-11-10 08:30  ', expected: '2025-11-10T00:30:00.000Z' },
  ])('$name: $text', ({ text, expected }) => {
    expect(parseDate(text, SH, now)?.toISOString()).toBe(expected);
  });

  it.each([
    { name: 'empty', text: '' },
    { name: 'null', text: null },
    { name: 'words', text: '发布时间未知' },
    { name: 'month 13', text: '2025-13-01 08:00' },
    { name: 'February 30', text: '2025年2月30日' },
    { name: 'zone-less free text that Date.parse would read in the process zone', text: 'November 10, 2025 08:30' },
  ])('returns null for $name', ({ text }) => {
    expect(parseDate(text, SH, now)).toBeNull();
  });

  it('reads CST as US Central for a source outside UTC+8', () => {
    expect(parseDate('Mon, 10 Nov 2025 08:30:00 CST', 'UTC', now)?.toISOString()).toBe('2025-11-10T14:30:00.000Z');
  });

  it('interprets local forms in the given zone, across DST', () => {
    expect(parseDate('2025-07-01 12:00', 'America/New_York', now)?.toISOString()).toBe('2025-07-01T16:00:00.000Z');
    expect(parseDate('2025-01-01 12:00', 'America/New_York', now)?.toISOString()).toBe('2025-01-01T17:00:00.000Z');
  });

  it('resolves "yesterday" against the local date, not the UTC one', () => {
    // 00:30 on 11-10 in Shanghai is still 11-09 in UTC.
    const early = new Date('2025-11-09T16:30:00Z');
    expect(parseDate('昨天 23:00', SH, early)?.toISOString()).toBe('2025-11-09T15:00:00.000Z');
  });
});

describe('zonedToUtc', () => {
  it.each([
    { name: 'Shanghai', zone: SH, expected: '2025-11-10T00:30:00.000Z' },
    { name: 'UTC', zone: 'UTC', expected: '2025-11-10T08:30:00.000Z' },
    { name: 'Kolkata (half-hour offset)', zone: 'Asia/Kolkata', expected: '2025-11-10T03:00:00.000Z' },
  ])('$name', ({ zone, expected }) => {
    expect(zonedToUtc(2025, 11, 10, 8, 30, zone).toISOString()).toBe(expected);
  });
});
