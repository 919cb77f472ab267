/**
 * The edition's Excel workbook: 今日要闻, 全部文章, 来源统计, 分类与情绪. Styled header, frozen first row,
 * auto-filter, hyperlinks, real dates in the report's time zone, each story's score breakdown, and no
 * formula anywhere. Written with exceljs' streaming writer: rows go out as they are added, which keeps
 * 5,000 articles well under two seconds and the memory flat.
 */
import { buffer } from 'node:stream/consumers';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { CATEGORIES, CATEGORY_LABELS } from '../../domain.ts';
import type { ReportEntry, ReportModel, Sentiment, SourceStat } from '../../domain.ts';
import { FACTORS, FACTOR_LABELS } from '../../score/index.ts';
import { SENTIMENT_COLORS, SENTIMENT_LABELS } from '../format.ts';
import { dateCell, linkCell, textCell } from './cells.ts';

/** Sheet names, in workbook order. */
export const SHEETS = { top: '今日要闻', all: '全部文章', sources: '来源统计', stats: '分类与情绪' } as const;

const HEADER_FILL = 'FF0F2A4A';
const LINK_COLOR = 'FF0B4F9C';
const DATE_FORMAT = 'yyyy-mm-dd hh:mm';
const POINTS_FORMAT = '0.00';

type Column = Partial<ExcelJS.Column> & { header: string; key: string; width: number };
type Sheet = ExcelJS.Worksheet;

const STORY_COLUMNS: Column[] = [
  { header: '标题', key: 'title', width: 48 },
  { header: '来源', key: 'source', width: 22 },
  { header: '媒体数', key: 'coverage', width: 8 },
  { header: '发布时间', key: 'time', width: 17, style: { numFmt: DATE_FORMAT } },
  { header: '分类', key: 'category', width: 8 },
  { header: '情绪', key: 'sentiment', width: 8 },
  { header: '得分', key: 'score', width: 9, style: { numFmt: POINTS_FORMAT } },
  { header: '摘要', key: 'summary', width: 60 },
  { header: '相关代码', key: 'tickers', width: 18 },
];

/** The score breakdown: the watch-list matches, one column per factor (`重要性分`, …), and whether it was alerted. */
const SCORE_COLUMNS: Column[] = [
  { header: '关注', key: 'watch', width: 14 },
  ...FACTORS.map((f) => ({
    header: `${FACTOR_LABELS[f]}分`,
    key: `f_${f}`,
    width: 11,
    style: { numFmt: POINTS_FORMAT },
  })),
  /** 是 for a story an intraday alert already pushed. */
  { header: '已预警', key: 'alerted', width: 8 },
];

const TOP_COLUMNS: Column[] = [{ header: '排名', key: 'rank', width: 7 }, ...STORY_COLUMNS, ...SCORE_COLUMNS];

const ALL_COLUMNS: Column[] = [
  { header: '报告位置', key: 'placement', width: 12 },
  ...STORY_COLUMNS,
  { header: '关键词', key: 'keywords', width: 28 },
  { header: '事件类型', key: 'eventType', width: 12 },
  { header: '重要性', key: 'importance', width: 8 },
  { header: '事件编号', key: 'story', width: 10 },
  ...SCORE_COLUMNS,
];

const SOURCE_STATUS: Record<SourceStat['status'], string> = { ok: '正常', failed: '失败', not_modified: '未更新' };
/** A source's kind as the console names it (an unknown kind as it is). */
const SOURCE_KIND: Record<string, string> = { rss: 'RSS', web: '静态网页', dynamic: '动态网页' };
const SENTIMENTS: Sentiment[] = ['positive', 'neutral', 'negative'];

const argb = (hex: string): string => `FF${hex.replace('#', '').toUpperCase()}`;

/** Adds a sheet with a styled, frozen (and optionally filterable) header row. */
function addSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, name: string, columns: Column[], filter: boolean): Sheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] }) as unknown as Sheet;
  ws.columns = columns;
  const header = ws.getRow(1);
  header.values = columns.map((c) => c.header);
  header.height = 22;
  header.eachCell((cell) => {
    cell.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: HEADER_FILL } };
    cell.alignment = { vertical: 'middle', horizontal: 'center' };
  });
  header.commit();
  if (filter) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return ws;
}

/** Where a story sits in the report: `今日要闻 1`, `宏观 2`, or nothing (only in the workbook). */
function placements(model: ReportModel): Map<number, string> {
  const key = (e: ReportEntry) => e.clusterId ?? -e.articleId;
  const out = new Map<number, string>();
  model.top.forEach((e, i) => out.set(key(e), `${SHEETS.top} ${e.rank || i + 1}`));
  for (const s of model.sections)
    s.items.forEach(
      (e, i) => out.has(key(e)) || out.set(key(e), `${s.label || CATEGORY_LABELS[s.category]} ${e.rank || i + 1}`),
    );
  return out;
}

/** Text for a cell, or an empty cell rather than an empty string (so a filter shows one 空白). */
const text = (value: string | null | undefined): string | null => textCell(value) || null;

function entryRow(e: ReportEntry, timezone: string, placement: string | undefined): Record<string, ExcelJS.CellValue> {
  const sources = [...new Set([e.source, ...e.sources].filter((s) => s.trim().length > 0))];
  const factors: Record<string, number> = e.factors;
  return {
    rank: e.rank > 0 ? e.rank : null,
    placement: placement ?? null,
    title: linkCell(e.title, e.url),
    source: text(sources.join('、')),
    coverage: e.coverage,
    time: dateCell(e.publishedAt, timezone),
    category: CATEGORY_LABELS[e.category],
    sentiment: SENTIMENT_LABELS[e.sentiment],
    score: e.score,
    summary: text(e.summary),
    tickers: text(e.tickers.join(' ')),
    keywords: text(e.keywords.join('、')),
    eventType: text(e.eventType),
    importance: e.importance,
    story: e.clusterId ?? null,
    watch: text((e.watchHits ?? []).join('、')),
    alerted: e.alerted ? '是' : null,
    ...Object.fromEntries(FACTORS.map((f) => [`f_${f}`, Number.isFinite(factors[f]) ? factors[f] : null])),
  };
}

/**
 * The cell styles of a story sheet, one object per column (and per variant): exceljs caches a style by
 * object identity, so sharing these objects instead of styling each cell anew is what keeps 5,000 rows fast.
 */
function storyStyles(columns: Column[]): {
  byColumn: Partial<ExcelJS.Style>[];
  link: Partial<ExcelJS.Style>;
  sentiment: Record<Sentiment, Partial<ExcelJS.Style>>;
} {
  const top: Partial<ExcelJS.Alignment> = { vertical: 'top' };
  const wrap: Partial<ExcelJS.Alignment> = { vertical: 'top', wrapText: true };
  const byColumn = columns.map((c) => ({
    ...c.style,
    alignment: c.key === 'title' || c.key === 'summary' ? wrap : top,
  }));
  return {
    byColumn,
    link: { alignment: wrap, font: { color: { argb: LINK_COLOR }, underline: true } },
    sentiment: Object.fromEntries(
      SENTIMENTS.map((s) => [
        s,
        { alignment: top, font: { bold: true, color: { argb: argb(SENTIMENT_COLORS[s].fg) } } },
      ]),
    ) as Record<Sentiment, Partial<ExcelJS.Style>>,
  };
}

/** Fills a sheet of stories, one committed row at a time. */
function addEntries(
  ws: Sheet,
  columns: Column[],
  entries: ReportEntry[],
  model: ReportModel,
  where: Map<number, string>,
): void {
  const styles = storyStyles(columns);
  const titleAt = columns.findIndex((c) => c.key === 'title') + 1;
  const sentimentAt = columns.findIndex((c) => c.key === 'sentiment') + 1;
  for (const e of entries) {
    const row = ws.addRow(entryRow(e, model.timezone, where.get(e.clusterId ?? -e.articleId)));
    row.eachCell((cell, col) => {
      cell.style = styles.byColumn[col - 1] ?? {};
    });
    const title = row.getCell(titleAt);
    if (typeof title.value === 'object' && title.value !== null) title.style = styles.link;
    row.getCell(sentimentAt).style = styles.sentiment[e.sentiment];
    row.commit();
  }
}

function addSourceStats(ws: Sheet, stats: SourceStat[]): void {
  for (const s of stats) {
    const row = ws.addRow({
      name: textCell(s.name),
      kind: SOURCE_KIND[s.kind] ?? s.kind,
      fetched: s.fetched,
      newArticles: s.newArticles,
      status: SOURCE_STATUS[s.status],
      error: text(s.error),
    });
    if (s.status === 'failed') row.getCell('status').font = { bold: true, color: { argb: 'FFB42318' } };
    row.commit();
  }
}

function addCategoryStats(ws: Sheet, entries: ReportEntry[]): void {
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const e of entries) {
    bump(`${e.category}:${e.sentiment}`);
    bump(`${e.category}:*`);
    bump(`*:${e.sentiment}`);
  }
  const n = (c: string, s: string) => counts.get(`${c}:${s}`) ?? 0;
  for (const c of CATEGORIES) {
    ws.addRow({
      category: CATEGORY_LABELS[c],
      positive: n(c, 'positive'),
      neutral: n(c, 'neutral'),
      negative: n(c, 'negative'),
      total: n(c, '*'),
    }).commit();
  }
  // Totals are written as numbers, not SUM() formulas: the workbook holds no formula at all.
  const total = ws.addRow({
    category: '合计',
    positive: n('*', 'positive'),
    neutral: n('*', 'neutral'),
    negative: n('*', 'negative'),
    total: entries.length,
  });
  total.font = { bold: true };
  total.eachCell((cell) => {
    cell.border = { top: { style: 'thin' } };
  });
  total.commit();
}

/** Builds the workbook and returns the .xlsx bytes. */
export async function writeWorkbook(model: ReportModel): Promise<Buffer> {
  const out = new PassThrough();
  const bytes = buffer(out);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: true,
    creator: 'finrep',
    created: model.generatedAt,
    modified: model.generatedAt,
  } as Partial<ExcelJS.stream.xlsx.WorkbookStreamWriterOptions>);
  const where = placements(model);

  const top = addSheet(wb, SHEETS.top, TOP_COLUMNS, true);
  addEntries(top, TOP_COLUMNS, model.top, model, where);
  top.commit();

  const all = addSheet(wb, SHEETS.all, ALL_COLUMNS, true);
  addEntries(all, ALL_COLUMNS, model.all, model, where);
  all.commit();

  const sources = addSheet(
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
  addSourceStats(sources, model.sourceStats);
  sources.commit();

  const stats = addSheet(
    wb,
    SHEETS.stats,
    [
      { header: '分类', key: 'category', width: 10 },
      ...SENTIMENTS.map((s) => ({ header: SENTIMENT_LABELS[s], key: s, width: 9 })),
      { header: '合计', key: 'total', width: 9 },
    ],
    false,
  );
  addCategoryStats(stats, model.all);
  stats.commit();

  await wb.commit();
  return bytes;
}
