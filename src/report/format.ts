/**
 * Small, pure formatting helpers shared by every output of the compose stage (email, text, web view,
 * workbook). Everything that turns a Date into text goes through the report's time zone here, so no
 * output ever depends on the process's own `TZ`.
 */
import { CATEGORIES, CATEGORY_LABELS } from '../domain.ts';
import type { ReportEntry, ReportModel, Sentiment } from '../domain.ts';
import { FACTOR_LABELS } from '../score/index.ts';
import { zonedParts } from '../lib/time.ts';

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'] as const;

const pad = (n: number): string => String(n).padStart(2, '0');

/** `MM-DD HH:mm` of an instant in `timeZone`, e.g. `11-10 07:45`; empty for a missing date. */
export function formatTime(date: Date | null, timeZone: string): string {
  if (!date || Number.isNaN(date.getTime())) return '';
  const w = zonedParts(date, timeZone);
  return `${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}`;
}

/** `YYYY-MM-DD HH:mm` of an instant in `timeZone`. */
export function formatDateTime(date: Date, timeZone: string): string {
  const w = zonedParts(date, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}`;
}

/**
 * A Date whose UTC fields equal the wall clock of `date` in `timeZone`. exceljs stores Dates by their
 * UTC fields, so this makes Excel show the report's local time.
 */
export function toWallClockDate(date: Date, timeZone: string): Date {
  const w = zonedParts(date, timeZone);
  return new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second));
}

/** Chinese weekday (`周一`) of a calendar date `YYYY-MM-DD`; empty when the string is not such a date. */
export function weekdayOf(edition: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(edition);
  if (!m) return '';
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay();
  return WEEKDAYS[day] ?? '';
}

/** The edition date with its weekday: `2025-11-10（周一）`. */
export function editionLabel(edition: string): string {
  const weekday = weekdayOf(edition);
  return weekday ? `${edition}（${weekday}）` : edition;
}

/** Chinese label of a sentiment. */
export const SENTIMENT_LABELS: Record<Sentiment, string> = { positive: '利好', neutral: '中性', negative: '利空' };

/**
 * Colours of a sentiment tag. Chinese market convention: red means up (利好), green means down (利空).
 * Each pair has an explicit background so dark-mode clients that invert colours keep the contrast.
 */
export const SENTIMENT_COLORS: Record<Sentiment, { fg: string; bg: string; bar: string }> = {
  positive: { fg: '#b42318', bg: '#fdecea', bar: '#d92d20' },
  neutral: { fg: '#475467', bg: '#eef0f3', bar: '#98a2b3' },
  negative: { fg: '#067647', bg: '#e6f4ea', bar: '#12b76a' },
};

/**
 * The URL as a safe link target, or null. Only absolute `http:`/`https:` URLs pass: anything else
 * (`javascript:`, `data:`, relative or malformed URLs) must be shown without a link.
 */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.href;
}

/** `新华社、财联社、证券时报等` — at most `max` source names of an entry, representative first. */
export function sourceNames(entry: ReportEntry, max = 3): string {
  const names = [entry.source, ...entry.sources].map((s) => s.trim()).filter((s) => s.length > 0);
  const unique = [...new Set(names)];
  const shown = unique.slice(0, max).join('、');
  return unique.length > max ? `${shown}等` : shown;
}

/** `得分 62.5 = 重要性 30 + 媒体覆盖 15.5 + 时效 7 + 关注列表 10` — the non-zero factors, largest first. */
export function scoreBreakdown(entry: ReportEntry): string {
  const labels: Record<string, string> = FACTOR_LABELS;
  const parts = Object.entries(entry.factors)
    .filter(([, v]) => Number.isFinite(v) && v !== 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${labels[k] ?? k} ${formatPoints(v)}`);
  const hits = entry.watchHits && entry.watchHits.length > 0 ? `（关注：${entry.watchHits.join('、')}）` : '';
  return `得分 ${formatPoints(entry.score)}${parts.length > 0 ? ` = ${parts.join(' + ')}` : ''}${hits}`;
}

/** A score with at most two decimals and no trailing zeros. */
export function formatPoints(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** `3 家媒体报道` when more than one source carries the story, else empty. */
export function coverageLabel(entry: ReportEntry): string {
  return entry.coverage > 1 ? `${entry.coverage} 家媒体报道` : '';
}

/**
 * The model's non-empty sections in report order (宏观, 政策, 市场, 公司, 行业, 国际, 其他), whatever order
 * they arrive in, each with its Chinese label.
 */
export function orderedSections(model: ReportModel): ReportModel['sections'] {
  return model.sections
    .filter((s) => s.items.length > 0)
    .map((s) => ({ ...s, label: s.label || CATEGORY_LABELS[s.category] }))
    .sort((a, b) => CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category));
}

/** One line, whitespace collapsed: third-party text must not break a header, a text line or a cell. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Share of each sentiment in percent (rounded, summing to 100 when there is anything). */
export function moodShares(mood: { positive: number; neutral: number; negative: number }): Record<Sentiment, number> {
  const total = mood.positive + mood.neutral + mood.negative;
  if (total <= 0) return { positive: 0, neutral: 0, negative: 0 };
  const positive = Math.round((mood.positive / total) * 100);
  const negative = Math.round((mood.negative / total) * 100);
  return { positive, negative, neutral: Math.max(0, 100 - positive - negative) };
}

/** A one-phrase reading of the mood, e.g. `整体偏多`. */
export function moodSummary(mood: { positive: number; neutral: number; negative: number }): string {
  const total = mood.positive + mood.neutral + mood.negative;
  if (total <= 0) return '暂无情绪数据';
  const balance = (mood.positive - mood.negative) / total;
  if (balance >= 0.3) return '整体明显偏多';
  if (balance >= 0.1) return '整体偏多';
  if (balance <= -0.3) return '整体明显偏空';
  if (balance <= -0.1) return '整体偏空';
  return '多空大致均衡';
}
