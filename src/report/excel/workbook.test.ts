import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { ReportEntry, ReportModel } from '../../domain.ts';
import { buildWorkbook } from '../index.ts';
import { fixtureModel } from '../testdata/model.ts';
import { textCell } from './cells.ts';
import { SHEETS } from './workbook.ts';

async function load(model: ReportModel): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await buildWorkbook(model)) as unknown as ArrayBuffer);
  return wb;
}

function sheet(wb: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const ws = wb.getWorksheet(name);
  if (!ws) throw new Error(`missing sheet ${name}`);
  return ws;
}

/** Every cell of every sheet. */
function allCells(wb: ExcelJS.Workbook): ExcelJS.Cell[] {
  const cells: ExcelJS.Cell[] = [];
  wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => cells.push(cell))));
  return cells;
}

const HOSTILE = ['=HYPERLINK("http://evil","点我")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1+1)', '\t=1+1', '\r=1+1'];

function hostileModel(): ReportModel {
  const model = fixtureModel();
  const evil = (e: ReportEntry, i: number): ReportEntry => ({
    ...e,
    title: HOSTILE[i % HOSTILE.length] as string,
    summary: '=1+1',
    source: '@evil',
    sources: ['@evil'],
    eventType: '+x',
    keywords: ['=k'],
    tickers: ['-1'],
  });
  model.top = model.top.map(evil);
  model.all = model.all.map((e, i) =>
    i < HOSTILE.length ? { ...evil(e, i), url: i === 0 ? 'javascript:alert(1)' : e.url } : e,
  );
  model.sourceStats[0] = { ...model.sourceStats[0]!, name: '=cmd', error: '+err\u0001' };
  return model;
}

describe('buildWorkbook', () => {
  it('has the four sheets, styled and frozen, with auto-filters', async () => {
    const wb = await load(fixtureModel());
    expect(wb.worksheets.map((ws) => ws.name)).toEqual([SHEETS.top, SHEETS.all, SHEETS.sources, SHEETS.stats]);
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    }
    expect(sheet(wb, SHEETS.top).autoFilter).toBeTruthy();
    expect(sheet(wb, SHEETS.all).autoFilter).toBeTruthy();
  });

  it('lists the top stories with hyperlinks, real dates in Shanghai time and labels', async () => {
    const model = fixtureModel();
    const ws = sheet(await load(model), SHEETS.top);
    expect(ws.getRow(1).values).toEqual([
      undefined,
      '排名',
      '标题',
      '来源',
      '媒体数',
      '发布时间',
      '分类',
      '情绪',
      '得分',
      '摘要',
      '相关代码',
      '关注',
      '重要性分',
      '媒体覆盖分',
      '来源权重分',
      '时效分',
      '关注列表分',
      '情绪强度分',
      '已预警',
    ]);
    expect(ws.rowCount).toBe(1 + model.top.length);
    const row = ws.getRow(2);
    expect(row.getCell(1).value).toBe(1);
    expect(row.getCell(2).value).toEqual({ text: model.top[0]?.title, hyperlink: model.top[0]?.url });
    const time = row.getCell(5);
    expect(time.value).toBeInstanceOf(Date);
    // Published 2025-11-09T08:00Z → Excel must show 2025-11-09 16:00.
    expect((time.value as Date).toISOString()).toBe('2025-11-09T16:00:00.000Z');
    expect(time.numFmt).toBe('yyyy-mm-dd hh:mm');
    expect(row.getCell(6).value).toBe('宏观');
    expect(row.getCell(7).value).toBe('利好');
    expect(row.getCell(4).value).toBe(4);
  });

  it('explains each score: watch-list matches and one column per factor', async () => {
    const model = fixtureModel();
    model.top[0] = {
      ...model.top[0]!,
      watchHits: ['600519.SH', '茅台'],
      alerted: true,
      factors: { importance: 40, coverage: 9.67, source: 5, recency: 2.5, watchlist: 20, sentiment: 3 },
      score: 80.17,
    };
    const row = sheet(await load(model), SHEETS.top).getRow(2);
    expect(row.getCell(11).value).toBe('600519.SH、茅台');
    expect([12, 13, 14, 15, 16, 17].map((c) => row.getCell(c).value)).toEqual([40, 9.67, 5, 2.5, 20, 3]);
    expect(row.getCell(18).value).toBe('是'); // 已预警
    expect(
      sheet(await load(model), SHEETS.top)
        .getRow(3)
        .getCell(18).value,
    ).toBeNull();
    expect(row.getCell(8).value).toBe(80.17);
    expect(row.getCell(12).numFmt).toBe('0.00');
  });

  it('says where each article sits in the report', async () => {
    const model = fixtureModel();
    const ws = sheet(await load(model), SHEETS.all);
    const placement = new Map<string, unknown>();
    ws.eachRow((row, n) => {
      const v = row.getCell(2).value;
      if (n > 1)
        placement.set(
          typeof v === 'object' && v !== null && 'text' in v ? String(v.text) : String(v),
          row.getCell(1).value,
        );
    });
    expect(placement.get(model.top[0]!.title)).toBe('今日要闻 1');
    const macro = model.sections.find((s) => s.category === 'macro')!;
    expect(placement.get(macro.items[0]!.title)).toBe('今日要闻 1'); // the fixture's top story is also its section's first
    expect(placement.get(macro.items[2]!.title)).toBe('宏观 3');
  });

  it('links every article with an http(s) URL', async () => {
    const model = fixtureModel();
    const ws = sheet(await load(model), SHEETS.all);
    const links: string[] = [];
    ws.eachRow((row, n) => {
      const v = row.getCell(2).value;
      if (n > 1 && typeof v === 'object' && v !== null && 'hyperlink' in v) links.push(String(v.hyperlink));
    });
    expect(links).toEqual(model.all.map((e) => e.url));
  });

  it('lists every article with keywords, event type and importance', async () => {
    const model = fixtureModel();
    const ws = sheet(await load(model), SHEETS.all);
    expect(ws.rowCount).toBe(1 + model.all.length);
    const header = ws.getRow(1).values as unknown[];
    expect(header.slice(11, 15)).toEqual(['关键词', '事件类型', '重要性', '事件编号']);
    const titles = new Set<string>();
    ws.eachRow((row, n) => {
      const v = row.getCell(2).value;
      if (n > 1) titles.add(typeof v === 'object' && v !== null && 'text' in v ? String(v.text) : String(v));
    });
    for (const e of model.all) expect(titles.has(e.title)).toBe(true);
  });

  it('counts sources and category × sentiment', async () => {
    const model = fixtureModel();
    const wb = await load(model);
    const sources = sheet(wb, SHEETS.sources);
    expect(sources.rowCount).toBe(1 + model.sourceStats.length);
    const failed = model.sourceStats.findIndex((s) => s.status === 'failed');
    expect(sources.getRow(failed + 2).getCell(5).value).toBe('失败');
    // Kinds in the console's words, not the stored rss / web.
    const kinds = model.sourceStats.map((_, i) => sources.getRow(i + 2).getCell(2).value);
    expect(kinds).toContain('RSS');
    expect(kinds).toContain('静态网页');
    expect(kinds).not.toContain('rss');
    const stats = sheet(wb, SHEETS.stats);
    expect(stats.getRow(1).values).toEqual([undefined, '分类', '利好', '中性', '利空', '合计']);
    const total = stats.getRow(stats.rowCount);
    expect(total.getCell(1).value).toBe('合计');
    expect(total.getCell(5).value).toBe(model.all.length);
    expect(stats.getRow(2).values).toEqual([undefined, '宏观', 2, 0, 1, 3]);
  });

  it('never writes a formula, whatever the data says', async () => {
    const wb = await load(hostileModel());
    const cells = allCells(wb);
    expect(cells.filter((c) => c.type === ExcelJS.ValueType.Formula || c.formula)).toEqual([]);
    const texts = cells.map((c) => {
      const v = c.value;
      return typeof v === 'object' && v !== null && 'text' in v ? String(v.text) : typeof v === 'string' ? v : '';
    });
    for (const h of HOSTILE) expect(texts).toContain(`'${h.replace(/\r/g, '\n')}`);
    // Nothing from the data starts like a formula once written.
    expect(texts.filter((t) => /^[=+\-@\t\r\n]/.test(t))).toEqual([]);
    expect(texts).toContain("'+err");
    // The javascript: URL became plain text, not a link.
    const all = sheet(wb, SHEETS.all);
    expect(all.getRow(2).getCell(2).value).toBe(`'${HOSTILE[0]}`);
  });
});

describe('textCell', () => {
  const cases = [
    { name: 'plain Chinese', in: '贵州茅台', want: '贵州茅台' },
    { name: 'formula', in: '=1+1', want: "'=1+1" },
    { name: 'plus', in: '+cmd', want: "'+cmd" },
    { name: 'minus', in: '-3.2%', want: "'-3.2%" },
    { name: 'at', in: '@SUM(A1)', want: "'@SUM(A1)" },
    { name: 'tab', in: '\t=1', want: "'\t=1" },
    { name: 'carriage return, normalised', in: '\r\n=1', want: "'\n=1" },
    { name: 'control characters dropped', in: 'a\u0000b\u001fc', want: 'abc' },
    { name: 'empty', in: '', want: '' },
  ];
  for (const c of cases) it(c.name, () => expect(textCell(c.in)).toBe(c.want));
});
