import { describe, expect, it } from 'vitest';
import { categoriesAlt, categoryBreakdown, findCjkFont, renderCharts, sentimentAlt } from './charts.ts';
import { fixtureModel } from './testdata/model.ts';

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('renderCharts', () => {
  it('draws the sentiment split and the categories as PNGs twice the display size', async () => {
    const charts = await renderCharts(fixtureModel());
    expect(charts.map((c) => c.id)).toEqual(['sentiment', 'categories']);
    for (const c of charts) {
      expect(pngSize(c.png)).toEqual({ width: c.width * 2, height: c.height * 2 });
      expect(c.cid).toBe(`${c.id}.2025-11-10@finrep`);
      expect(c.filename).toBe(`chart-${c.id}.png`);
      expect(c.dataUri).toBe(`data:image/png;base64,${c.png.toString('base64')}`);
    }
    // Side by side they fit the 552 px content column of the 600 px card.
    expect(charts.reduce((w, c) => w + c.width, 0)).toBeLessThanOrEqual(552);
  });

  it.skipIf(findCjkFont() === null)('labels the charts in Chinese with the CJK font', async () => {
    const [sentiment, categories] = await renderCharts(fixtureModel());
    expect(categories?.svg).toContain('>宏观</text>');
    expect(categories?.svg).toContain(`font-family:${findCjkFont()?.family}`);
    expect(sentiment?.svg).toContain('利好 52%');
  });

  it('draws without any text when no font is available', async () => {
    const charts = await renderCharts(fixtureModel(), { font: null });
    expect(charts).toHaveLength(2);
    for (const c of charts) {
      expect(c.svg).not.toContain('<text');
      expect(pngSize(c.png).width).toBe(c.width * 2);
    }
  });

  it('draws nothing for an edition without stories', async () => {
    const model = fixtureModel();
    model.all = [];
    model.categoryMood = [];
    expect(await renderCharts(model)).toEqual([]);
  });

  it('finds no font where there is none', () => {
    expect(findCjkFont([{ file: '/nonexistent/font.ttc', family: 'X' }])).toBeNull();
  });
});

describe('chart data and alt text', () => {
  it('lists non-empty categories in report order, whatever order they arrive in', () => {
    const model = fixtureModel();
    model.categoryMood = [
      { category: 'global', positive: 0, neutral: 1, negative: 2 },
      { category: 'policy', positive: 0, neutral: 0, negative: 0 },
      { category: 'macro', positive: 3, neutral: 0, negative: 1 },
    ];
    expect(categoryBreakdown(model).map((r) => r.category)).toEqual(['macro', 'global']);
    expect(categoriesAlt(categoryBreakdown(model))).toBe('分类分布：宏观 4 条（利好 3、利空 1）；国际 3 条（中性 1、利空 2）');
  });
  it('derives the categories from the articles when the model has no breakdown', () => {
    const rows = categoryBreakdown(fixtureModel());
    expect(rows.find((r) => r.category === 'macro')).toEqual({ category: 'macro', positive: 2, neutral: 0, negative: 1 });
  });
  it('says the sentiment split in words', () => {
    expect(sentimentAlt({ positive: 11, neutral: 5, negative: 5 })).toBe('情绪分布：利好 11 条（52%）、中性 5 条（24%）、利空 5 条（24%），整体偏多');
  });
});
