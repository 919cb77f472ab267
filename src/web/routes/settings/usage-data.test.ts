import { describe, expect, it } from 'vitest';
import { costOption } from './usage-data.ts';

describe('costOption', () => {
  const days = ['2026-12-05', '2026-12-06'];
  const cases = [
    { name: 'no call: says so across the chart', rows: [], title: 'No data in this range' },
    {
      name: 'a call: the bars, no title',
      rows: [{ day: '2026-12-06', provider: 'deepseek', cost: 0.12345 }],
      title: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const o = costOption(c.rows, days, 'No data in this range');
      expect(o.title?.text).toBe(c.title);
      expect(o.xAxis.data).toEqual(['12-05', '12-06']);
      if (c.rows.length) expect(o.series[0]!.data).toEqual([0, 0.1235]);
    });
});
