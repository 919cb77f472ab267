import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import type { ChartFont, RenderedChart } from './charts.ts';
import {
  SYSTEM_FONTS,
  bundledFont,
  categoriesAlt,
  categoryBreakdown,
  chartFonts,
  findCjkFont,
  renderCharts,
  sentimentAlt,
} from './charts.ts';
import { fixtureModel } from './testdata/model.ts';

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The charts' text colour (INK) and its anti-aliased core: bars (red, grey, green) and the white ground are far from it. */
const isInk = (r: number, g: number, b: number): boolean =>
  Math.abs(r - 0x34) + Math.abs(g - 0x40) + Math.abs(b - 0x54) < 90;

/** Pixels of `png` inside the CSS-pixel box (at the chart's 2× scale) that `keep` accepts. */
function countPixels(
  png: Buffer,
  box: { x0: number; x1: number; y0: number; y1: number },
  keep: (r: number, g: number, b: number) => boolean,
): number {
  const img = PNG.sync.read(png);
  let n = 0;
  for (let y = box.y0 * 2; y < Math.min(img.height, box.y1 * 2); y++) {
    for (let x = box.x0 * 2; x < Math.min(img.width, box.x1 * 2); x++) {
      const at = (y * img.width + x) * 4;
      if (keep(img.data[at]!, img.data[at + 1]!, img.data[at + 2]!)) n++;
    }
  }
  return n;
}

/** The system's CJK fonts hidden: every usual path moved to one that does not exist. */
const HIDDEN_SYSTEM_FONTS: ChartFont[] = SYSTEM_FONTS.map((f) => ({ ...f, file: `/nonexistent${f.file}` }));

/** Asserts each category row of the bar chart has its name left of the bars and its total right of them. */
function expectLabelledRows(categories: RenderedChart, rows: number): void {
  const band = (categories.height - 20) / rows;
  for (let i = 0; i < rows; i++) {
    const y0 = Math.floor(10 + i * band);
    const y1 = Math.ceil(10 + (i + 1) * band);
    // The name (宏观 …) in the 44 px left of the bars; the total (a digit) anywhere right of them.
    expect.soft(countPixels(categories.png, { x0: 0, x1: 44, y0, y1 }, isInk), `row ${i} name`).toBeGreaterThan(40);
    expect
      .soft(countPixels(categories.png, { x0: 44, x1: categories.width, y0, y1 }, isInk), `row ${i} total`)
      .toBeGreaterThan(8);
  }
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

  it('labels the charts with the font finrep ships, whatever the machine has', async () => {
    // Before the charts shipped their font, a machine without fonts-noto-cjk drew bare bars: no names, no numbers.
    const model = fixtureModel();
    const [sentiment, categories] = await renderCharts(model, { fonts: [bundledFont()!, ...HIDDEN_SYSTEM_FONTS] });
    expect(categories?.svg).toContain('>宏观</text>');
    expect(categories?.svg).toContain('font-family:Noto Sans S Chinese');
    expect(sentiment?.svg).toContain('利好 52%');
    expectLabelledRows(categories!, categoryBreakdown(model).length);
    // The ring's headline (偏多) in its centre, and the legend (利好 52% …, coloured) in the band under the ring.
    const h = sentiment!.height;
    expect(
      countPixels(
        sentiment!.png,
        { x0: 70, x1: 130, y0: Math.floor(h * 0.44) - 12, y1: Math.ceil(h * 0.44) + 12 },
        isInk,
      ),
    ).toBeGreaterThan(40);
    const notWhite = (r: number, g: number, b: number) => r + g + b < 600;
    expect(countPixels(sentiment!.png, { x0: 0, x1: sentiment!.width, y0: h - 26, y1: h }, notWhite)).toBeGreaterThan(
      200,
    );
  });

  it('prefers the bundled font to a system one, so the charts look the same everywhere', () => {
    expect(bundledFont()).toMatchObject({ family: 'Noto Sans S Chinese', bundled: true });
    expect(findCjkFont()).toEqual(bundledFont());
    expect(chartFonts().slice(1)).toEqual(SYSTEM_FONTS);
  });

  it('falls back to a system font, and says so once per process', async () => {
    // A fresh copy of the module: a process that has not warned yet.
    vi.resetModules();
    const { renderCharts: fresh } = await import('./charts.ts');
    const warn = vi.fn();
    // A "system" font (not flagged bundled) that is present: the bundled file under another name.
    const system: ChartFont = { file: bundledFont()!.file, family: 'Noto Sans S Chinese' };
    const model = fixtureModel();
    for (let i = 0; i < 2; i++) {
      const [, categories] = await fresh(model, {
        fonts: [{ ...bundledFont()!, file: '/nonexistent/NotoSansHans-Regular.otf' }, system],
        log: { warn },
      });
      expectLabelledRows(categories!, categoryBreakdown(model).length);
    }
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]).toEqual([
      { font_package: '@embedpdf/fonts-sc', font: system.file },
      'report charts: @embedpdf/fonts-sc is not installed (run npm install); labelling them with a system font',
    ]);
  });

  it('leaves the charts out rather than draw bars without names, and says why once per process', async () => {
    // A fresh copy of the module: a process that has not warned yet.
    vi.resetModules();
    const { renderCharts: fresh } = await import('./charts.ts');
    const warn = vi.fn();
    expect(await fresh(fixtureModel(), { fonts: HIDDEN_SYSTEM_FONTS, log: { warn } })).toEqual([]);
    expect(await fresh(fixtureModel(), { fonts: HIDDEN_SYSTEM_FONTS, log: { warn } })).toEqual([]);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[1]).toMatch(
      /^report charts left out: no CJK font to label them \(@embedpdf\/fonts-sc is not installed .*fonts-noto-cjk.*text bar instead$/,
    );
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
    expect(categoriesAlt(categoryBreakdown(model))).toBe(
      '分类分布：宏观 4 条（利好 3、利空 1）；国际 3 条（中性 1、利空 2）',
    );
  });
  it('derives the categories from the articles when the model has no breakdown', () => {
    const rows = categoryBreakdown(fixtureModel());
    expect(rows.find((r) => r.category === 'macro')).toEqual({
      category: 'macro',
      positive: 2,
      neutral: 0,
      negative: 1,
    });
  });
  it('says the sentiment split in words', () => {
    expect(sentimentAlt({ positive: 11, neutral: 5, negative: 5 })).toBe(
      '情绪分布：利好 11 条（52%）、中性 5 条（24%）、利空 5 条（24%），整体偏多',
    );
  });
});
