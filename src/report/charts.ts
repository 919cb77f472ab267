/**
 * The report's two small charts — stories per category (stacked by sentiment) and the sentiment split —
 * drawn with ECharts' server-side SVG renderer and rasterised to PNG by resvg, so every mail client can
 * show them (as CID inline images) and the web view can embed the very same pictures (`data:` URIs).
 *
 * resvg draws text only with the fonts it is given, so finrep ships one: Noto Sans CJK SC's GB2312 subset
 * from `@embedpdf/fonts-sc` (every label and digit the charts draw), the same on every machine. Should it be
 * missing, a system CJK font is used; with none at all there are no charts (bars without names or numbers
 * mean nothing) and the email shows its text bar — each fallback is logged once per process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BarChart, PieChart } from 'echarts/charts';
import { GraphicComponent, GridComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { CATEGORIES, CATEGORY_LABELS } from '../domain.ts';
import type { Category, CategoryMood, ReportChart, ReportModel, Sentiment } from '../domain.ts';
import { SENTIMENT_COLORS, SENTIMENT_LABELS, moodShares, moodSummary } from './format.ts';
import { rasterise } from './raster.ts';

echarts.use([BarChart, PieChart, GraphicComponent, GridComponent, SVGRenderer]);

/** A font file resvg can load and the family name it declares. */
export interface ChartFont {
  file: string;
  family: string;
  /** Shipped with finrep (an npm dependency), not looked up on the machine. */
  bundled?: boolean;
}

/** The package that ships the charts' font: OTF (resvg reads no woff2), OFL-1.1. */
const FONT_PACKAGE = '@embedpdf/fonts-sc';

/** The font shipped with finrep (`@embedpdf/fonts-sc`'s Noto Sans S Chinese Regular), or null when not installed. */
export function bundledFont(): ChartFont | null {
  try {
    // The package exports only its index (dist/index.js); the fonts sit in fonts/ beside dist/.
    const entry = createRequire(import.meta.url).resolve(FONT_PACKAGE);
    const file = path.join(path.dirname(entry), '..', 'fonts', 'NotoSansHans-Regular.otf');
    return existsSync(file) ? { file, family: 'Noto Sans S Chinese', bundled: true } : null;
  } catch {
    return null;
  }
}

/** CJK fonts in the places Debian (fonts-noto-cjk, the Docker image), Fedora, Arch and macOS keep them. */
export const SYSTEM_FONTS: readonly ChartFont[] = [
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'Noto Sans CJK SC' },
  { file: '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', family: 'Noto Sans CJK SC' },
  { file: '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc', family: 'Noto Sans CJK SC' },
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf', family: 'Noto Sans CJK SC' },
  { file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYi Micro Hei' },
  { file: '/System/Library/Fonts/PingFang.ttc', family: 'PingFang SC' },
];

/** The fonts the charts try, in order: the bundled one, then the system ones. */
export function chartFonts(): ChartFont[] {
  const bundled = bundledFont();
  return bundled ? [bundled, ...SYSTEM_FONTS] : [...SYSTEM_FONTS];
}

/** The first of `candidates` present on this machine, or null. */
export function findCjkFont(candidates: readonly ChartFont[] = chartFonts()): ChartFont | null {
  return candidates.find((f) => existsSync(f.file)) ?? null;
}

/** What the charts need of a logger. */
export interface ChartLog {
  warn(obj: object, msg: string): void;
}

/** Fallbacks already logged by this process: a worker composing every morning says it once. */
const warned = new Set<string>();

function warnOnce(log: ChartLog | undefined, key: string, obj: object, msg: string): void {
  if (!log || warned.has(key)) return;
  warned.add(key);
  log.warn(obj, msg);
}

export interface ChartOptions {
  /** The fonts to try for the labels, in order; the first present is used. @defaultValue chartFonts() */
  fonts?: readonly ChartFont[];
  /** Told once per process when the charts fall back to a system font or to no charts at all. */
  log?: ChartLog;
  /** Pixels per CSS pixel of the PNG (sharp on phones), 1 to 4. @defaultValue 2 */
  scale?: number;
}

/** A chart ready to attach: its description for the report and its pictures. */
export interface RenderedChart extends ReportChart {
  png: Buffer;
  svg: string;
}

const SENTIMENTS: Sentiment[] = ['positive', 'neutral', 'negative'];
const INK = '#344054';
const MUTED = '#667085';
/** Display sizes: side by side they fill the 552 px content column of the 600 px card. */
export const CHART_SIZES = { sentiment: 200, categories: 340 } as const;

/** Stories per category and sentiment, report order, empty categories left out. */
export function categoryBreakdown(model: ReportModel): CategoryMood[] {
  const rows =
    model.categoryMood ??
    CATEGORIES.map((category) => {
      const of = (s: Sentiment) => model.all.filter((e) => e.category === category && e.sentiment === s).length;
      return { category, positive: of('positive'), neutral: of('neutral'), negative: of('negative') };
    });
  return rows
    .filter((r) => r.positive + r.neutral + r.negative > 0)
    .sort((a, b) => CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category));
}

const total = (r: CategoryMood): number => r.positive + r.neutral + r.negative;

/** `分类分布：宏观 5 条（利好 3、中性 1、利空 1）；…` — the chart as words, for blocked images. */
export function categoriesAlt(rows: CategoryMood[]): string {
  const parts = rows.map((r) => {
    const split = SENTIMENTS.filter((s) => r[s] > 0)
      .map((s) => `${SENTIMENT_LABELS[s]} ${r[s]}`)
      .join('、');
    return `${CATEGORY_LABELS[r.category]} ${total(r)} 条（${split}）`;
  });
  return `分类分布：${parts.join('；')}`;
}

/** `情绪分布：利好 12 条（48%）、中性 8 条（32%）、利空 5 条（20%），整体偏多`. */
export function sentimentAlt(mood: ReportModel['mood']): string {
  const shares = moodShares(mood);
  return `情绪分布：${SENTIMENTS.map((s) => `${SENTIMENT_LABELS[s]} ${mood[s]} 条（${shares[s]}%）`).join('、')}，${moodSummary(mood)}`;
}

function chartHeight(rows: number): number {
  return Math.max(150, 20 + rows * 26);
}

function categoriesOption(rows: CategoryMood[], family: string): Record<string, unknown> {
  const labels = rows.map((r) => CATEGORY_LABELS[r.category as Category]);
  const totals = rows.map(total);
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: family },
    grid: { left: 44, right: 34, top: 10, bottom: 10 },
    xAxis: { type: 'value', show: false, max: Math.max(1, ...totals) },
    yAxis: {
      type: 'category',
      inverse: true,
      data: labels,
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: { show: true, color: INK, fontSize: 13, margin: 10 },
    },
    series: SENTIMENTS.map((s, i) => ({
      type: 'bar',
      stack: 'n',
      name: SENTIMENT_LABELS[s],
      barWidth: 14,
      data: rows.map((r) => r[s]),
      itemStyle: { color: SENTIMENT_COLORS[s].bar },
      // The last segment carries the row's total.
      label:
        i === SENTIMENTS.length - 1
          ? {
              show: true,
              position: 'right',
              color: INK,
              fontSize: 12,
              formatter: (p: { dataIndex: number }) => String(totals[p.dataIndex] ?? ''),
            }
          : { show: false },
    })),
  };
}

function sentimentOption(mood: ReportModel['mood'], family: string, height: number): Record<string, unknown> {
  const shares = moodShares(mood);
  // The ring's centre says what the text says (`整体明显偏多` → `明显偏多`, `多空大致均衡` → `均衡`).
  const summary = moodSummary(mood);
  const headline = summary.includes('均衡') ? '均衡' : summary.replace('整体', '');
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: family },
    series: [
      {
        type: 'pie',
        radius: ['44%', '66%'],
        center: ['50%', '44%'],
        silent: true,
        startAngle: 90,
        label: {
          show: true,
          position: 'center',
          formatter: () => headline,
          fontSize: headline.length > 2 ? 15 : 18,
          fontWeight: 'bold',
          color: INK,
        },
        labelLine: { show: false },
        data: SENTIMENTS.filter((s) => mood[s] > 0).map((s) => ({
          name: SENTIMENT_LABELS[s],
          value: mood[s],
          itemStyle: { color: SENTIMENT_COLORS[s].bar },
        })),
      },
    ],
    // The legend as plain graphics: labels with shares under the ring.
    graphic: SENTIMENTS.map((s, i) => ({
      type: 'text',
      left: 8 + i * 64,
      top: height - 26,
      // fontFamily, not the `font` shorthand: ECharts writes the shorthand into a style attribute unescaped.
      style: {
        text: `${SENTIMENT_LABELS[s]} ${shares[s]}%`,
        fill: i === 1 ? MUTED : SENTIMENT_COLORS[s].fg,
        fontSize: 12,
        fontFamily: family,
      },
    })),
  };
}

function toSvg(option: Record<string, unknown>, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    // Without this the chart's timers keep the process alive.
    chart.dispose();
  }
}

/**
 * Renders the edition's charts (none when the edition has no story). The `cid`s are stable per edition,
 * so the HTML of every recipient's copy can reference them.
 */
export async function renderCharts(model: ReportModel, opts: ChartOptions = {}): Promise<RenderedChart[]> {
  const rows = categoryBreakdown(model);
  if (rows.length === 0) return [];
  const font = findCjkFont(opts.fonts ?? chartFonts());
  if (!font) {
    warnOnce(
      opts.log,
      'none',
      { font_package: FONT_PACKAGE },
      `report charts left out: no CJK font to label them (${FONT_PACKAGE} is not ` +
        'installed — run npm install — and no system CJK font such as fonts-noto-cjk was found); the email shows a text bar instead',
    );
    return [];
  }
  if (!font.bundled) {
    warnOnce(
      opts.log,
      'system',
      { font_package: FONT_PACKAGE, font: font.file },
      `report charts: ${FONT_PACKAGE} is not installed ` + '(run npm install); labelling them with a system font',
    );
  }
  const family = font.family;
  // resvg refuses a zero size and crashes the process on absurd ones.
  const scale = Number.isFinite(opts.scale) ? Math.min(4, Math.max(1, opts.scale!)) : 2;
  const height = chartHeight(rows.length);
  const specs = [
    {
      id: 'sentiment',
      width: CHART_SIZES.sentiment,
      option: sentimentOption(model.mood, family, height),
      alt: sentimentAlt(model.mood),
    },
    {
      id: 'categories',
      width: CHART_SIZES.categories,
      option: categoriesOption(rows, family),
      alt: categoriesAlt(rows),
    },
  ];
  const svgs = specs.map((s) => toSvg(s.option, s.width, height));
  const pngs = await rasterise(
    svgs.map((svg) => ({ svg, scale })),
    font,
  );
  return specs.map((s, i) => {
    const svg = svgs[i]!;
    const png = pngs[i]!;
    const filename = `chart-${s.id}.png`;
    return {
      id: s.id,
      cid: `${s.id}.${model.edition.replace(/[^0-9A-Za-z.-]/g, '-')}@finrep`,
      filename,
      alt: s.alt,
      width: s.width,
      height,
      dataUri: `data:image/png;base64,${png.toString('base64')}`,
      png,
      svg,
    };
  });
}
