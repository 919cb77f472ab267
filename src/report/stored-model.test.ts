import { describe, expect, it } from 'vitest';
import type { ReportModel } from '../domain.ts';
import { loadReportModel, storeReportModel } from './stored-model.ts';

describe('stored report model', () => {
  it('round-trips dates by field name and leaves look-alike third-party strings alone', () => {
    const model = {
      edition: '2025-11-10',
      title: '2025-11-10T00:00:00.000Z',
      timezone: 'Asia/Shanghai',
      generatedAt: new Date('2025-11-09T22:05:00Z'),
      window: { from: new Date('2025-11-08T22:00:00Z'), to: new Date('2025-11-09T22:00:00Z') },
      top: [
        { title: '2025-11-10T00:00:00.000Z', publishedAt: new Date('2025-11-09T01:00:00Z') },
        { title: 'x', publishedAt: null },
      ],
      charts: [{ cid: 'c1' }],
    } as unknown as ReportModel;
    const back = loadReportModel(JSON.parse(JSON.stringify(storeReportModel(model))) as Record<string, unknown>);
    expect(back.generatedAt).toEqual(model.generatedAt);
    expect(back.window.from).toBeInstanceOf(Date);
    expect(back.window.to.getTime()).toBe(model.window.to.getTime());
    expect(back.title).toBe('2025-11-10T00:00:00.000Z');
    expect((back.top[0] as unknown as { title: unknown }).title).toBe('2025-11-10T00:00:00.000Z');
    expect(back.top[0]!.publishedAt).toEqual(new Date('2025-11-09T01:00:00Z'));
    expect(back.top[1]!.publishedAt).toBeNull();
    expect(back.charts).toBeUndefined();
  });
});
