/** The plain-text alternative of the email: the same structure, numbered stories, URLs on their own line. */
import { CATEGORY_LABELS } from '../domain.ts';
import type { ReportEntry, ReportModel } from '../domain.ts';
import { countsLine, disclaimer, greetingFor, reportTitle, windowLine } from './copy.ts';
import {
  SENTIMENT_LABELS,
  coverageLabel,
  editionLabel,
  formatDateTime,
  formatTime,
  moodSummary,
  oneLine,
  orderedSections,
  safeUrl,
  sourceNames,
} from './format.ts';

const RULE = '='.repeat(40);
const THIN = '-'.repeat(40);

function entryLines(entry: ReportEntry, n: number, timezone: string, showCategory: boolean): string[] {
  const meta = [
    `【${SENTIMENT_LABELS[entry.sentiment]}】${entry.watchHits && entry.watchHits.length > 0 ? '【关注】' : ''}${entry.alerted ? '【已预警】' : ''}`,
    showCategory ? CATEGORY_LABELS[entry.category] : '',
    sourceNames(entry),
    coverageLabel(entry),
    formatTime(entry.publishedAt, timezone),
  ].filter((s) => s.length > 0);
  const lines = [`${n}. ${oneLine(entry.title)}`, `   ${meta.join(' · ')}`];
  if (entry.summary) lines.push(`   ${oneLine(entry.summary)}`);
  if (entry.tickers.length > 0) lines.push(`   相关代码：${entry.tickers.map(oneLine).join('  ')}`);
  const url = safeUrl(entry.url);
  if (url) lines.push(`   ${url}`);
  lines.push('');
  return lines;
}

/** Renders the plain-text part (no trimming: text is small). */
export function renderText(
  model: ReportModel,
  p: { recipientName: string | null; unsubscribeUrl: string | null },
): string {
  const { mood } = model;
  const out: string[] = [
    `${reportTitle(model)}｜${editionLabel(model.edition)}`,
    RULE,
    countsLine(model),
    windowLine(model),
    `市场情绪：${moodSummary(mood)}（利好 ${mood.positive} · 中性 ${mood.neutral} · 利空 ${mood.negative}）`,
    '',
  ];
  const greeting = greetingFor(p.recipientName);
  if (greeting) out.push(greeting, '');
  if (model.top.length > 0) {
    out.push(`■ 今日要闻（${model.top.length} 条）`, THIN);
    model.top.forEach((e, i) => out.push(...entryLines(e, i + 1, model.timezone, true)));
  }
  for (const s of orderedSections(model)) {
    out.push(`■ ${s.label}（${s.items.length} 条）`, THIN);
    s.items.forEach((e, i) => out.push(...entryLines(e, i + 1, model.timezone, false)));
  }
  out.push(RULE);
  const web = safeUrl(model.webViewUrl);
  if (web) out.push(`网页版：${web}`);
  out.push(`生成于 ${formatDateTime(model.generatedAt, model.timezone)}（${model.timezone}）`, disclaimer());
  const unsubscribe = safeUrl(p.unsubscribeUrl);
  if (unsubscribe) out.push(`退订：${unsubscribe}`);
  return `${out.join('\n')}\n`;
}
