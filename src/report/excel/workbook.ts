/**
 * The edition's Excel workbook: 今日要闻, 全部文章, 来源统计, 分类与情绪. Styled header, frozen first row,
 * auto-filter, hyperlinks, real dates in the report's time zone, and no formula anywhere.
 */
import ExcelJS from 'exceljs';
import { CATEGORIES, CATEGORY_LABELS } from '../../domain.ts';
import type { ReportEntry, ReportModel, Sentiment, SourceStat } from '../../domain.ts';
import { reportTitle } from '../copy.ts';
import { SENTIMENT_COLORS, SENTIMENT_LABELS } from '../format.ts';
import { dateCell, linkCell, textCell } from './cells.ts';

/** Sheet names, in workbook order. */
export const SHEETS = { top: '今日要闻', all: '全部文章', sources: '来源统计', stats: '分类与情绪' } as const;

const HEADER_FILL = 'FF0F2A4A';
const LINK_COLOR = 'FF0B4F9C';
const DATE_FORMAT = 'yyyy-mm-dd hh:mm';

type Column = Partial<ExcelJS.Column> & { header: string; key: string; width: number };

const STORY_COLUMNS: Column[] = [
  { header: '标题', key: 'title', width: 48 },
  { header: '来源', key: 'source', width: 22 },
  { header: '媒体数', key: 'coverage', width: 8 },
  { header: '发布时间', key: 'time', width: 17, style: { numFmt: DATE_FORMAT } },
  { header: '分类', key: 'category', width: 8 },
  { header: '情绪', key: 'sentiment', width: 8 },
  { header: '得分', key: 'score', width: 9, style: { numFmt: '0.000' } },
  { header: '摘要', key: 'summary', width: 60 },
  { header: '相关代码', key: 'tickers', width: 18 },
];

const TOP_COLUMNS: Column[] = [{ header: '排名', key: 'rank', width: 7 }, ...STORY_COLUMNS];

const ALL_COLUMNS: Column[] = [
  { header: '分类内排名', key: 'rank', width: 11 },
  ...STORY_COLUMNS,
  { header: '关键词', key: 'keywords', width: 28 },
  { header: '事件类型', key: 'eventType', width: 12 },
  { header: '重要性', key: 'importance', width: 8 },
];

const SOURCE_STATUS: Record<SourceStat['status'], string> = { ok: '正常', failed: '失败', not_modified: '未更新' };
const SENTIMENTS: Sentiment[] = ['positive', 'neutral', 'negative'];

function argb(hex: string): string {
  return `FF${hex.replace('#', '').toUpperCase()}`;
}

/** Adds a sheet with a styled, frozen, filterable header row. */
function addSheet(wb: ExcelJS.Workbook, name: string, columns: Column[], filter: boolean): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  ws.columns = columns;
  const header = ws.getRow(1);
  header.height = 22;
  header.eachCell((cell) => {
    cell.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: HEADER_FILL } };
    cell.alignment = { vertical: 'middle', horizontal: 'center' };
  });
  if (filter) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return ws;
}

function entryRow(e: ReportEntry, timezone: string): Record<string, ExcelJS.CellValue> {
  const sources = [...new Set([e.source, ...e.sources].filter((s) => s.trim().length > 0))];
  return {
    rank: e.rank > 0 ? e.rank : null,
    title: linkCell(e.title, e.url),
    source: textCell(sources.join('、')),
    coverage: e.coverage,
    time: dateCell(e.publishedAt, timezone),
    category: CATEGORY_LABELS[e.category],
    sentiment: SENTIMENT_LABELS[e.sentiment],
    score: e.score,
    summary: textCell(e.summary),
    tickers: textCell(e.tickers.join(' ')),
    keywords: textCell(e.keywords.join('、')),
    eventType: textCell(e.eventType),
    importance: e.importance,
  };
}

/** Fills a sheet of stories and styles its data cells. */
function addEntries(ws: ExcelJS.Worksheet, entries: ReportEntry[], timezone: string): void {
  for (const e of entries) {
    const row = ws.addRow(entryRow(e, timezone));
    row.alignment = { vertical: 'top' };
    const title = row.getCell('title');
    if (typeof title.value === 'object' && title.value !== null) title.font = { color: { argb: LINK_COLOR }, underline: true };
    title.alignment = { vertical: 'top', wrapText: true };
    row.getCell('summary').alignment = { vertical: 'top', wrapText: true };
    row.getCell('sentiment').font = { bold: true, color: { argb: argb(SENTIMENT_COLORS[e.sentiment].fg) } };
  }
}

function addSourceStats(wb: ExcelJS.Workbook, stats: SourceStat[]): void {
  const ws = addSheet(
    wb,
    SHEETS.sources,
    [
      { header: '来源', key: 'name', width: 22 },
      { header: '类型', key: 'kind', width: 9 },
      { header: '抓取条数', key: 'fetched', width: 10 },
      { header: '新文章', key: 'newArticles', width: 9 },
      { header: '状态', key: 'status', width: 9 },
      { header: '错误信息', key: 'error', width: 60 },
    ],
    true,
  );
  for (const s of stats) {
    const row = ws.addRow({
      name: textCell(s.name),
      kind: s.kind,
      fetched: s.fetched,
      newArticles: s.newArticles,
      status: SOURCE_STATUS[s.status],
      error: textCell(s.error),
    });
    if (s.status === 'failed') row.getCell('status').font = { bold: true, color: { argb: 'FFB42318' } };
  }
}

function addCategoryStats(wb: ExcelJS.Workbook, entries: ReportEntry[]): void {
  const ws = addSheet(
    wb,
    SHEETS.stats,
    [
      { header: '分类', key: 'category', width: 10 },
      ...SENTIMENTS.map((s) => ({ header: SENTIMENT_LABELS[s], key: s, width: 9 })),
      { header: '合计', key: 'total', width: 9 },
    ],
    false,
  );
  const count = (c: string | null, s: Sentiment | null): number =>
    entries.filter((e) => (c === null || e.category === c) && (s === null || e.sentiment === s)).length;
  for (const c of CATEGORIES) {
    ws.addRow({ category: CATEGORY_LABELS[c], positive: count(c, 'positive'), neutral: count(c, 'neutral'), negative: count(c, 'negative'), total: count(c, null) });
  }
  // Totals are written as numbers, not SUM() formulas: the workbook holds no formula at all.
  const total = ws.addRow({ category: '合计', positive: count(null, 'positive'), neutral: count(null, 'neutral'), negative: count(null, 'negative'), total: entries.length });
  total.font = { bold: true };
  total.eachCell((cell) => {
    cell.border = { top: { style: 'thin' } };
  });
}

/** Builds the workbook and returns the .xlsx bytes. */
export async function writeWorkbook(model: ReportModel): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'finrep';
  wb.title = `${reportTitle(model)} ${model.edition}`;
  wb.created = model.generatedAt;
  wb.modified = model.generatedAt;

  addEntries(addSheet(wb, SHEETS.top, TOP_COLUMNS, true), model.top, model.timezone);
  addEntries(addSheet(wb, SHEETS.all, ALL_COLUMNS, true), model.all, model.timezone);
  addSourceStats(wb, model.sourceStats);
  addCategoryStats(wb, model.all);

  return Buffer.from(await wb.xlsx.writeBuffer());
}
