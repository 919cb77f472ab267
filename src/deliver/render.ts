import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client.ts';
import { deliveriesQ } from '../db/queries/index.ts';
import type { ReportModel } from '../domain.ts';
import { EMAIL_BYTE_BUDGET, renderEmailHtml, renderEmailText } from '../report/index.ts';
import { oneLine, safeUrl } from '../report/format.ts';
import type { Personalization } from '../report/index.ts';
import { DeliverError } from './mailer.ts';
import type { InlineImage } from './mailer.ts';

/** One recipient's copy: name and 退订 link, and their own signed 在线查看 link (null → the edition's generic one). */
export type MailPersonalization = Personalization & { webViewUrl?: string | null };

/** Renders one recipient's HTML and text parts. */
export type MailRenderer = (p: MailPersonalization) => Promise<{ html: string; text: string }>;

/**
 * Puts the recipient's signed web-view link where the copy shows the edition's generic one (the footer's
 * 在线查看 and the text's 网页版 line); the generic link is `<base>/reports/<date>`, which nothing else links to.
 */
function withWebViewLink(
  part: { html: string; text: string },
  generic: string | null,
  personal: string | null | undefined,
): { html: string; text: string } {
  const to = safeUrl(personal);
  const from = safeUrl(generic);
  if (!to || !from) return part;
  return {
    html: part.html.replaceAll(`href="${escapeHtml(from)}"`, `href="${escapeHtml(to)}"`),
    text: part.text.replaceAll(`网页版：${from}\n`, `网页版：${to}\n`),
  };
}

/** The edition as mailed: how to render each copy, the subject, the workbook and inline images. */
export interface EditionMail {
  editionId: number;
  /** Edition key, e.g. `2025-11-10`. */
  edition: string;
  subject: string;
  render: MailRenderer;
  xlsx: Buffer;
  xlsxName: string;
  /** Charts the HTML references as `cid:…`, attached inline. */
  inlineImages?: InlineImage[];
}

/** Stand-ins rendered into the HTML once, then replaced per recipient (letters and digits only: no escaping changes them). */
const NAME_TOKEN = 'FINREPRECIPIENTNAME0TOKEN';
const URL_TOKEN =
  'https://unsubscribe.invalid/FINREPUNSUBSCRIBEURL0TOKEN0000000000000000000000000000000000000000000000000000';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]!);

/**
 * Each recipient's copy rendered from the report model: greeting by name, personal 退订 link. The HTML is
 * rendered once per shape (with or without a name, with or without a link) with stand-ins that are then
 * replaced by the recipient's name and link, escaped — rendering the whole email for each of hundreds of
 * recipients would make the CPU, not the mail rate, set the pace. A copy whose text has no stand-in
 * where expected, or that outgrows the size budget, is rendered in full instead.
 */
export function renderFromModel(model: ReportModel): MailRenderer {
  const templates = new Map<string, Promise<string>>();
  return async (p) => {
    const text = renderEmailText(model, p);
    const name = p.recipientName ? oneLine(p.recipientName) : '';
    const url = safeUrl(p.unsubscribeUrl);
    const key = `${name ? 'n' : '-'}${url ? 'u' : '-'}`;
    let template = templates.get(key);
    if (!template) {
      template = renderEmailHtml(model, {
        recipientName: name ? NAME_TOKEN : null,
        unsubscribeUrl: url ? URL_TOKEN : null,
      });
      templates.set(key, template);
    }
    const html = (await template).replaceAll(NAME_TOKEN, escapeHtml(name)).replaceAll(URL_TOKEN, escapeHtml(url ?? ''));
    const complete = (!name || html !== (await template)) && (!url || html.includes(escapeHtml(url)));
    const copy = withWebViewLink({ html, text }, model.webViewUrl, p.webViewUrl);
    if (!complete || Buffer.byteLength(copy.html) > EMAIL_BYTE_BUDGET)
      return withWebViewLink({ html: await renderEmailHtml(model, p), text }, model.webViewUrl, p.webViewUrl);
    return copy;
  };
}

/** The generic web-view link a stored copy shows (`href="…/reports/<date>"`), or null. */
function storedWebViewUrl(html: string, date: string): string | null {
  const m = new RegExp(`href="(https?://[^"]*/reports/${date.replace(/[^\w-]/g, '')})"`).exec(html);
  return m ? m[1]!.replaceAll('&amp;', '&') : null;
}

/**
 * The edition as composed earlier, read back from its stored files (the generic copy: no greeting; the
 * text part gets the recipient's 退订 line, and every copy its own List-Unsubscribe header) — for sending
 * or re-sending an edition without running the pipeline again.
 */
export async function loadStoredEditionMail(
  db: Db,
  date: string,
  opts: { inlineImages?: InlineImage[] } = {},
): Promise<EditionMail> {
  const edition = await deliveriesQ.findEditionByDate(db, date);
  if (!edition) throw new DeliverError(`no edition ${date}; run \`finrep run --date ${date}\` first`);
  if (!edition.htmlPath || !edition.textPath || !edition.xlsxPath || !edition.subject) {
    throw new DeliverError(`edition ${date} has not been composed yet (status ${edition.status})`);
  }
  const read = async (file: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new DeliverError(
        `edition ${date}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { cause: err },
      );
    }
  };
  const [html, text, xlsx] = await Promise.all([
    read(edition.htmlPath),
    read(edition.textPath),
    read(edition.xlsxPath),
  ]);
  const htmlText = html.toString('utf8');
  const plain = text.toString('utf8').replace(/\s+$/, '');
  return {
    editionId: edition.id,
    edition: date,
    subject: edition.subject,
    xlsx,
    xlsxName: path.basename(edition.xlsxPath),
    render: async (p) =>
      withWebViewLink(
        { html: htmlText, text: p.unsubscribeUrl ? `${plain}\n\n退订：${p.unsubscribeUrl}\n` : `${plain}\n` },
        storedWebViewUrl(htmlText, date),
        p.webViewUrl,
      ),
    ...(opts.inlineImages && { inlineImages: opts.inlineImages }),
  };
}
