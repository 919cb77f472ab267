import { describe, expect, it } from 'vitest';
import { dateInZone } from '../lib/time.ts';
import { benchClock, BenchClockError } from './bench-clock.ts';

describe('benchClock: the soak benchmark’s accelerated clock (FINREP_BENCH_CLOCK)', () => {
  it('is off when unset or empty, as in production', () => {
    expect(benchClock({})).toBeNull();
    expect(benchClock({ FINREP_BENCH_CLOCK: '  ' })).toBeNull();
  });

  const cases = [
    { name: 'the origin maps to the virtual start', real: '2026-12-05T21:30:00Z', virtual: '2024-12-31T22:30:00.000Z' },
    { name: 'one period later is one day later', real: '2026-12-05T21:30:20Z', virtual: '2025-01-01T22:30:00.000Z' },
    { name: 'a second is 72 virtual minutes', real: '2026-12-05T21:30:01Z', virtual: '2024-12-31T23:42:00.000Z' },
    { name: 'before the origin runs backwards', real: '2026-12-05T21:29:40Z', virtual: '2024-12-30T22:30:00.000Z' },
  ];
  const clock = benchClock({ FINREP_BENCH_CLOCK: '2025-01-01T06:30:00+08:00@2026-12-05T21:30:00Z x4320' })!;
  for (const c of cases)
    it(c.name, () => {
      expect(clock(new Date(c.real)).toISOString()).toBe(c.virtual);
    });

  it('dates fires every 20 s as consecutive days', () => {
    const t0 = Date.parse('2026-12-05T21:30:00Z');
    const dates = Array.from({ length: 5 }, (_, k) => dateInZone(clock(new Date(t0 + k * 20_000)), 'Asia/Shanghai'));
    expect(dates).toEqual(['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04', '2025-01-05']);
  });

  for (const bad of [
    'yesterday',
    '2025-01-01T06:30:00Z@2026-12-05T21:30:00Z',
    '2025-01-01@nope x2',
    '2025-01-01@2026-01-01x0',
  ])
    it(`refuses "${bad}"`, () => {
      expect(() => benchClock({ FINREP_BENCH_CLOCK: bad })).toThrow(BenchClockError);
    });
});
