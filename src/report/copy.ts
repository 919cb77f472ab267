/**
 * The report's wording, shared by the email, the text part, the web view and the subject line, so the
 * same edition says the same thing everywhere.
 */
import type { ReportModel } from '../domain.ts';
import { editionLabel, formatTime, oneLine } from './format.ts';

/** The disclaimer printed under every report (`本邮件…` or, on the web view, `本页面…`). */
export function disclaimer(medium: 'email' | 'web' = 'email'): string {
  const what = medium === 'email' ? '本邮件' : '本页面';
  return `${what}由 finrep 自动生成，内容摘编自公开信息源并经模型提炼，可能存在疏漏，仅供内部研究参考，不构成任何投资建议。`;
}

/** The report's title, falling back to the product name. */
export function reportTitle(model: ReportModel): string {
  return oneLine(model.title) || '金融情报日报';
}

/** `金融情报日报｜2025-11-10（周一）· 今日要闻 5 条` — one line, safe for a mail header. */
export function subjectLine(model: ReportModel): string {
  return `${reportTitle(model)}｜${editionLabel(oneLine(model.edition))}· 今日要闻 ${model.top.length} 条`;
}

/** `共收录 N 篇 · M 个事件 · K 个来源`. */
export function countsLine(model: ReportModel): string {
  const { articles, stories, sources } = model.counts;
  return `共收录 ${articles} 篇 · ${stories} 个事件 · ${sources} 个来源`;
}

/** `统计区间 11-09 06:00 至 11-10 06:00`. */
export function windowLine(model: ReportModel): string {
  return `统计区间 ${formatTime(model.window.from, model.timezone)} 至 ${formatTime(model.window.to, model.timezone)}`;
}

/** `李明，您好！…` from the recipient's name, or null without one. */
export function greetingFor(name: string | null): string | null {
  const n = name ? oneLine(name) : '';
  return n ? `${n}，您好！以下是今日的金融情报摘要。` : null;
}

/** The note shown when the email left stories out to stay under Gmail's clipping size. */
export function omittedLine(omitted: number): string {
  return `另有 ${omitted} 条未在邮件中展示，完整内容见网页版或附件`;
}
