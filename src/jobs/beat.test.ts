import { describe, expect, it } from 'vitest';
import { fireTimes } from './beat.ts';

const iso = (d: Date) => d.toISOString();

describe('fireTimes', () => {
  it.each([
    // 06:00 in Shanghai (UTC+8, no DST) is 22:00 UTC the day before.
    {
      name: 'mid-morning local: the morning passed, the next is tomorrow',
      now: '2025-11-10T02:00:00Z',
      prev: '2025-11-09T22:00:00.000Z',
      next: '2025-11-10T22:00:00.000Z',
    },
    {
      name: 'a millisecond before 06:00 local',
      now: '2025-11-09T21:59:59.999Z',
      prev: '2025-11-08T22:00:00.000Z',
      next: '2025-11-09T22:00:00.000Z',
    },
    {
      name: 'exactly 06:00 local: it is the last fire, not the next',
      now: '2025-11-09T22:00:00.000Z',
      prev: '2025-11-09T22:00:00.000Z',
      next: '2025-11-10T22:00:00.000Z',
    },
    {
      name: 'a millisecond after 06:00 local',
      now: '2025-11-09T22:00:00.001Z',
      prev: '2025-11-09T22:00:00.000Z',
      next: '2025-11-10T22:00:00.000Z',
    },
    {
      name: 'late evening local, after midnight UTC',
      now: '2025-11-10T15:30:00Z',
      prev: '2025-11-09T22:00:00.000Z',
      next: '2025-11-10T22:00:00.000Z',
    },
    {
      name: 'across a month end',
      now: '2025-11-30T23:00:00Z',
      prev: '2025-11-30T22:00:00.000Z',
      next: '2025-12-01T22:00:00.000Z',
    },
  ])('0 6 * * * in Asia/Shanghai: $name', ({ now, prev, next }) => {
    const t = fireTimes('0 6 * * *', 'Asia/Shanghai', new Date(now));
    expect({ prev: iso(t.prev), next: iso(t.next) }).toEqual({ prev, next });
  });

  it.each([
    {
      name: 'between two fires',
      now: '2025-11-10T12:00:01.500Z',
      prev: '2025-11-10T12:00:00.000Z',
      next: '2025-11-10T12:00:03.000Z',
    },
    {
      name: 'on a fire',
      now: '2025-11-10T12:00:03.000Z',
      prev: '2025-11-10T12:00:03.000Z',
      next: '2025-11-10T12:00:06.000Z',
    },
    {
      name: 'across a minute',
      now: '2025-11-10T12:00:58.000Z',
      prev: '2025-11-10T12:00:57.000Z',
      next: '2025-11-10T12:01:00.000Z',
    },
  ])('a 6-field cron with seconds first (*/3 * * * * *): $name', ({ now, prev, next }) => {
    const t = fireTimes('*/3 * * * * *', 'Asia/Shanghai', new Date(now));
    expect({ prev: iso(t.prev), next: iso(t.next) }).toEqual({ prev, next });
  });

  it('reads the cron in the given zone, with its daylight saving time', () => {
    // 06:00 in New York: 11:00 UTC in winter (EST), 10:00 UTC in summer (EDT).
    expect(iso(fireTimes('0 6 * * *', 'America/New_York', new Date('2025-01-15T12:00:00Z')).prev)).toBe(
      '2025-01-15T11:00:00.000Z',
    );
    expect(iso(fireTimes('0 6 * * *', 'America/New_York', new Date('2025-07-15T12:00:00Z')).prev)).toBe(
      '2025-07-15T10:00:00.000Z',
    );
  });

  it('keeps weekday crons: 0 6 * * 1-5 skips the weekend', () => {
    // Saturday 2025-11-15 noon in Shanghai: the last fire was Friday's, the next is Monday's.
    const t = fireTimes('0 6 * * 1-5', 'Asia/Shanghai', new Date('2025-11-15T04:00:00Z'));
    expect({ prev: iso(t.prev), next: iso(t.next) }).toEqual({
      prev: '2025-11-13T22:00:00.000Z',
      next: '2025-11-16T22:00:00.000Z',
    });
  });
});
