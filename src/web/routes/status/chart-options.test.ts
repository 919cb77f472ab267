import { describe, expect, it } from 'vitest';
import { translator } from '../../i18n/index.ts';
import { chartOption } from './chart-options.ts';

const at = Date.UTC(2026, 11, 6, 1, 30); // 09:30 in Shanghai, 01:30 in UTC

describe('chartOption', () => {
  const cases = [
    { name: 'Shanghai is drawn eight hours on', zone: 'Asia/Shanghai', drawn: Date.UTC(2026, 11, 6, 9, 30) },
    { name: 'UTC is drawn as it is', zone: 'UTC', drawn: at },
    {
      name: 'New York in winter is drawn five hours back',
      zone: 'America/New_York',
      drawn: Date.UTC(2026, 11, 5, 20, 30),
    },
  ];
  for (const c of cases)
    it(`draws the configured zone's wall clock as UTC: ${c.name}`, () => {
      const o = chartOption('latency', [{ metric: 'web.p95_ms', t: at, value: 12 }], translator('en'), c.zone);
      expect(o.useUTC).toBe(true);
      expect(o.series.find((s) => s.name === 'p95')!.data).toEqual([[c.drawn, 12]]);
      expect(o.title).toBeUndefined();
    });

  it('says a chart with no samples is empty, in the page language', () => {
    expect(chartOption('queues', [], translator('zh-CN'), 'Asia/Shanghai').title?.text).toBe('这段时间没有采样数据');
    expect(chartOption('queues', [], translator('en'), 'Asia/Shanghai').title?.text).toBe('No samples in this range');
  });
});
