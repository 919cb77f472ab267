/**
 * The compose stage: one edition's `ReportModel` → HTML email, plain-text part, web view, Excel workbook
 * and subject line. Pure functions of the model (and, for the email, the recipient), so the deliver stage
 * can render per recipient and the admin can render the web view on demand.
 */
import type { ReportModel } from '../domain.ts';
import { subjectLine } from './copy.ts';
import { renderEmail } from './email/render.tsx';
import { writeWorkbook } from './excel/workbook.ts';
import { renderText } from './text.ts';
import { renderWeb } from './web.tsx';

export { EMAIL_BYTE_BUDGET } from './email/render.tsx';
export { WEB_VIEW_CSP } from './web.tsx';

import type { ImageMode } from './email/Charts.tsx';

export type { ImageMode };

/** How the email refers to its chart images. */
export interface EmailOptions {
  /** `cid` (mail, with the charts attached inline) or `data` (a self-contained page). @defaultValue 'cid' */
  images?: ImageMode;
}

/** Per-recipient parts of the email. */
export interface Personalization {
  /** Shown in the greeting; null → no greeting. */
  recipientName: string | null;
  /** Footer 退订 link (http/https only); null → no link. */
  unsubscribeUrl: string | null;
}

/**
 * The HTML email (react-email, inline CSS). When it would exceed `EMAIL_BYTE_BUDGET`, the lowest-ranked
 * section stories are left out and a line says how many.
 *
 * @example
 * const html = await renderEmailHtml(model, { recipientName: '李明', unsubscribeUrl: null });
 */
export async function renderEmailHtml(
  model: ReportModel,
  p: Personalization,
  opts: EmailOptions = {},
): Promise<string> {
  return (await renderEmail(model, { ...p, ...opts })).html;
}

/** The email's HTML with its size in bytes and the number of section stories left out. */
export function renderEmailDetailed(
  model: ReportModel,
  p: Personalization,
  opts: EmailOptions = {},
): Promise<{ html: string; bytes: number; omitted: number }> {
  return renderEmail(model, { ...p, ...opts });
}

/** The plain-text alternative of the email (every story, URLs on their own line). */
export function renderEmailText(model: ReportModel, p: Personalization): string {
  return renderText(model, p);
}

/** The web view: a standalone HTML document (strict CSP meta, no referrer), every story with its score breakdown, charts as `data:` URIs. */
export async function renderWebView(model: ReportModel): Promise<string> {
  return renderWeb(model);
}

/** The .xlsx workbook: 今日要闻, 全部文章, 来源统计, 分类与情绪. */
export function buildWorkbook(model: ReportModel): Promise<Buffer> {
  return writeWorkbook(model);
}

/**
 * The email subject, one line.
 *
 * @example
 * emailSubject(model); // '金融情报日报｜2025-11-10（周一）· 今日要闻 5 条'
 */
export function emailSubject(model: ReportModel): string {
  return subjectLine(model);
}
