/**
 * Character-set detection for fetched documents. Chinese sites still serve GBK/GB2312/GB18030 and Big5,
 * declared in the HTTP header, in the document, or nowhere at all; we decode with Node's TextDecoder (full
 * ICU) and never guess beyond "valid UTF-8, else GB18030".
 */
import { isUtf8 } from 'node:buffer';

/** How many leading bytes are searched for an in-document declaration. */
const SNIFF_BYTES = 2048;

/** Labels we rewrite before asking TextDecoder: GB18030 is a superset of GB2312 and GBK. */
const ALIASES: Record<string, string> = {
  gb2312: 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  cp936: 'gb18030',
  'windows-936': 'gb18030',
  'euc-cn': 'gb18030',
  'big5-hkscs': 'big5',
  'x-big5': 'big5',
  cp950: 'big5',
  utf8: 'utf-8',
};

/** Where the charset came from (useful in logs when a page comes out garbled). */
export type CharsetSource = 'bom' | 'header' | 'document' | 'utf8-valid' | 'fallback';

/** Returns a TextDecoder label for `label`, or null when Node does not know it. */
export function normalizeCharset(label: string): string | null {
  const key = label
    .trim()
    .toLowerCase()
    .replace(/^["']|["']$/g, '');
  const name = ALIASES[key] ?? key;
  try {
    return new TextDecoder(name).encoding;
  } catch {
    return null;
  }
}

/** Reads `charset=` from a Content-Type header value. */
export function charsetFromContentType(contentType: string | null | undefined): string | null {
  const m = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '');
  return m?.[1] ? normalizeCharset(m[1]) : null;
}

function charsetFromBom(buf: Uint8Array): string | null {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be';
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le';
  return null;
}

/** Finds an XML `encoding=` or an HTML `<meta charset>` / `http-equiv` declaration in the first bytes. */
export function charsetFromDocument(buf: Uint8Array): string | null {
  const head = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.byteLength, SNIFF_BYTES)).toString('latin1');
  const patterns = [
    /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([\w.:-]+)["']/i,
    /<meta[^>]+?\bcharset\s*=\s*["']?([\w.:-]+)/i,
  ];
  for (const re of patterns) {
    const m = re.exec(head);
    const label = m?.[1] ? normalizeCharset(m[1]) : null;
    if (label) return label;
  }
  return null;
}

/** The charset `buf` declares: BOM → HTTP header → in-document declaration; null when none is usable. */
function declaredCharset(
  buf: Uint8Array,
  contentType?: string | null,
): { charset: string; source: CharsetSource } | null {
  const bom = charsetFromBom(buf);
  if (bom) return { charset: bom, source: 'bom' };
  const header = charsetFromContentType(contentType);
  if (header) return { charset: header, source: 'header' };
  const doc = charsetFromDocument(buf);
  return doc ? { charset: doc, source: 'document' } : null;
}

/** Picks the charset of `buf`: BOM → HTTP header → in-document declaration → strict UTF-8 → GB18030. */
export function detectCharset(
  buf: Uint8Array,
  contentType?: string | null,
): { charset: string; source: CharsetSource } {
  return (
    declaredCharset(buf, contentType) ??
    (isUtf8(buf) ? { charset: 'utf-8', source: 'utf8-valid' } : { charset: 'gb18030', source: 'fallback' })
  );
}

const decoders = new Map<string, TextDecoder>();

/** A reusable decoder (`decode` without `stream` keeps no state between calls). */
function decoder(label: string, fatal = false): TextDecoder {
  const key = `${label}|${fatal}`;
  let d = decoders.get(key);
  if (!d) decoders.set(key, (d = new TextDecoder(label, { fatal })));
  return d;
}

/**
 * Decodes a fetched body to a string, charset as `detectCharset` picks it, decoding the bytes once: UTF-8
 * is validated without decoding (`isUtf8`) before the one decode.
 *
 * @example decodeBody(await res.body, res.headers['content-type'])
 */
export function decodeBody(buf: Uint8Array, contentType?: string | null): string {
  const declared = declaredCharset(buf, contentType);
  // TextDecoder strips a BOM matching its encoding by default.
  if (declared && (declared.source === 'bom' || declared.charset !== 'utf-8'))
    return decoder(declared.charset).decode(buf);
  if (isUtf8(buf)) return decoder('utf-8').decode(buf);
  if (!declared) return decoder('gb18030').decode(buf);
  // Templates often declare UTF-8 over GBK content; a declared UTF-8 that is not valid UTF-8 is a lie.
  try {
    return decoder('gb18030', true).decode(buf);
  } catch {
    // neither: UTF-8 with replacement characters
    return decoder('utf-8').decode(buf);
  }
}
