import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { MailError } from './mailer.ts';
import type { InlineImage, MailAddress, MailMessage } from './mailer.ts';

/** Content type of the edition's Excel workbook. */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Everything one recipient's copy of an edition is made of. */
export interface BuildMessageInput {
  /** Edition key, e.g. `2025-11-10`; goes into the Message-ID and `X-Finrep-Edition`. */
  edition: string;
  to: MailAddress;
  from: { address: string; name: string };
  subject: string;
  html: string;
  text: string;
  xlsx: Buffer;
  /** Attachment file name, e.g. `金融情报日报-2025-11-10.xlsx` (encoded per RFC 2231/2047 by nodemailer). */
  xlsxName: string;
  /** This recipient's one-click unsubscribe URL (http/https); null sends no List-Unsubscribe headers. */
  unsubscribeUrl: string | null;
  /** Mailbox for unsubscribe requests, with or without `mailto:`; only used together with `unsubscribeUrl`. */
  unsubscribeMailto?: string | null;
  /** Images the HTML shows through `cid:` URLs (charts), attached inline with their Content-ID. */
  inlineImages?: InlineImage[];
  /** Right-hand side of the Message-ID, e.g. the sender's domain (an IDN is converted to punycode). */
  messageIdDomain: string;
  /** @defaultValue now */
  date?: Date;
}

/** A deliberately loose mailbox check: enough to refuse what nodemailer or a server would choke on. */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/u;
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function addressError(what: string, value: string): MailError {
  return new MailError(`invalid ${what} address: ${JSON.stringify(value)}`, {
    code: 'EADDRESS',
    permanent: true,
    scope: what === 'recipient' ? 'recipient' : 'mailer',
  });
}

/** `<https://…>` for a List-Unsubscribe entry, or an error for anything but an absolute http(s) URL. */
function unsubscribeUrlEntry(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`invalid unsubscribe URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`unsubscribe URL must be http(s): ${url.protocol}`);
  return `<${url.href}>`;
}

function unsubscribeMailtoEntry(raw: string): string {
  const value = raw.replace(/^mailto:/i, '');
  const [address = ''] = value.split('?');
  if (!ADDRESS.test(address) || /[\s<>]/.test(value))
    throw new Error(`invalid unsubscribe mailbox: ${JSON.stringify(raw)}`);
  return `<mailto:${value}>`;
}

/** A Content-ID as nodemailer wants it (no angle brackets); refuses what would break the header. */
function inlineCid(raw: string): string {
  const cid = raw.trim().replace(/^<(.*)>$/, '$1');
  if (!/^[\x21-\x7e]+$/.test(cid) || /[<>]/.test(cid))
    throw new Error(`invalid inline image Content-ID: ${JSON.stringify(raw)}`);
  return cid;
}

/** A new Message-ID for an edition: `<finrep.2025-11-10.3f9a…@example.com>`. */
export function newMessageId(edition: string, domain: string): string {
  const key = edition.replace(/[^A-Za-z0-9.-]/g, '-');
  return `<finrep.${key}.${randomBytes(9).toString('hex')}@${domain}>`;
}

/**
 * Builds one recipient's message for an edition: the report's HTML and text, the workbook attached,
 * RFC 8058 one-click unsubscribe headers (Gmail and Yahoo require them of bulk senders) and a Message-ID
 * known before sending, so the delivery row can record it first. Rejects a malformed recipient with a
 * permanent `MailError` (code `EADDRESS`).
 *
 * @example
 * const msg = buildMessage({ edition: '2025-11-10', to: { address: 'a@example.com', name: '张三' }, from,
 *   subject: '金融情报日报｜2025-11-10', html, text, xlsx, xlsxName: '金融情报日报-2025-11-10.xlsx',
 *   unsubscribeUrl: 'https://finrep.example.com/u/abc', messageIdDomain: 'example.com' });
 */
export function buildMessage(input: BuildMessageInput): MailMessage {
  const to = input.to.address.trim();
  if (!ADDRESS.test(to)) throw addressError('recipient', input.to.address);
  if (!ADDRESS.test(input.from.address)) throw addressError('sender', input.from.address);
  // An internationalised domain (例子.cn) goes into the Message-ID in its ASCII (punycode) form.
  const domain = domainToASCII(input.messageIdDomain.trim());
  if (!DOMAIN.test(domain)) throw new Error(`invalid Message-ID domain: ${JSON.stringify(input.messageIdDomain)}`);

  const headers: Record<string, string> = { 'X-Finrep-Edition': input.edition };
  if (input.unsubscribeUrl) {
    const entries = [unsubscribeUrlEntry(input.unsubscribeUrl)];
    if (input.unsubscribeMailto) entries.push(unsubscribeMailtoEntry(input.unsubscribeMailto));
    headers['List-Unsubscribe'] = entries.join(', ');
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  // A daily report should not trigger out-of-office replies to the sender (Exchange honours this).
  headers['X-Auto-Response-Suppress'] = 'OOF, AutoReply';

  return {
    to: { address: to, name: input.to.name?.trim() || null },
    from: { address: input.from.address, name: input.from.name },
    subject: input.subject,
    html: input.html,
    text: input.text,
    attachments: [
      { filename: input.xlsxName, content: input.xlsx, contentType: XLSX_CONTENT_TYPE },
      ...(input.inlineImages ?? []).map((img) => ({
        filename: img.filename,
        content: img.content,
        contentType: img.contentType,
        cid: inlineCid(img.cid),
      })),
    ],
    headers,
    messageId: newMessageId(input.edition, domain),
    date: input.date ?? new Date(),
  };
}
