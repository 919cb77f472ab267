import { describe, expect, it } from 'vitest';
import type { ReportEntry, ReportModel } from '../domain.ts';
import { loadReportModel, storeReportModel } from './stored-model.ts';
import { fixtureModel } from './testdata/model.ts';

/** Through the database: stored, serialised as the jsonb column is, and read back. */
const roundTrip = (model: ReportModel) =>
  loadReportModel(JSON.parse(JSON.stringify(storeReportModel(model))) as Record<string, unknown>);

/** The fixture with `copies` articles per story in `all`, as an edition's reposts are. */
function withReposts(copies: number): ReportModel {
  const model = fixtureModel();
  let id = 50_000;
  const all: ReportEntry[] = model.all.flatMap((e, s) =>
    Array.from({ length: copies }, (_, i) => ({
      ...e,
      clusterId: 900 + s,
      articleId: id++,
      title: `${e.title}（转载 ${i}）`,
      url: `https://portal${i}.example.cn/a/${s}.html`,
      source: `门户${i}`,
      publishedAt: i % 3 === 0 ? null : new Date(Date.UTC(2025, 10, 9, i)),
    })),
  );
  return { ...model, all };
}

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
      all: [
        { articleId: 1, title: '2025-11-10T00:00:00.000Z', publishedAt: null, summary: '2025-11-10T00:00:00.000Z' },
      ],
      charts: [{ cid: 'c1' }],
    } as unknown as ReportModel;
    const back = roundTrip(model);
    expect(back.generatedAt).toEqual(model.generatedAt);
    expect(back.window.from).toBeInstanceOf(Date);
    expect(back.window.to.getTime()).toBe(model.window.to.getTime());
    expect(back.title).toBe('2025-11-10T00:00:00.000Z');
    expect((back.top[0] as unknown as { title: unknown }).title).toBe('2025-11-10T00:00:00.000Z');
    expect(back.top[0]!.publishedAt).toEqual(new Date('2025-11-09T01:00:00Z'));
    expect(back.top[1]!.publishedAt).toBeNull();
    expect(back.all[0]!.title).toBe('2025-11-10T00:00:00.000Z');
    expect(back.all[0]!.summary).toBe('2025-11-10T00:00:00.000Z');
    expect(back.charts).toBeUndefined();
  });

  it('gives back every article of `all` exactly, storing each story once', () => {
    const model = withReposts(10);
    const stored = JSON.stringify(storeReportModel(model));
    const back = roundTrip(model);
    expect(back.all).toEqual(model.all);
    expect(back.all.map((e) => e.articleId)).toEqual(model.all.map((e) => e.articleId));
    // The story's summary is stored once, not once per article.
    const summary = model.all[0]!.summary;
    expect(stored.split(JSON.stringify(summary).slice(1, -1)).length - 1).toBeLessThanOrEqual(3);
    // Storing every article as a full entry was more than twice as large (several times on an edition).
    const { charts: _c, ...full } = model;
    expect(stored.length * 2).toBeLessThan(JSON.stringify(full).length);
    // Every copy of the email's lists is unchanged.
    expect(back.top).toEqual(model.top);
    expect(back.sections).toEqual(model.sections);
  });

  it('keeps apart entries of one story that differ, and entries without a story', () => {
    const model = withReposts(2);
    model.all[1] = { ...model.all[1]!, summary: '另一条摘要', keywords: ['不同'] };
    model.all[2] = { ...model.all[2]!, clusterId: null };
    model.all[3] = { ...model.all[3]!, clusterId: null };
    const back = roundTrip(model);
    expect(back.all).toEqual(model.all);
    expect(back.all[0]!.summary).not.toBe('另一条摘要');
    expect(back.all[1]!.summary).toBe('另一条摘要');
  });

  it('loads a model stored before `all` was packed (every article a full entry)', () => {
    const model = withReposts(3);
    const { charts: _c, ...full } = model;
    const back = loadReportModel(JSON.parse(JSON.stringify(full)) as Record<string, unknown>);
    expect(back.all).toEqual(model.all);
  });
});
