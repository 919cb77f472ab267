import { domainToASCII } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { CodedText, TextParam } from '../lib/coded-text.ts';
import { csvText as say } from './csv-texts.ts';

/**
 * A recipients file that cannot be read as a whole (wrong header, binary, unknown encoding, broken quoting):
 * the English message, and its `code` and `params` for the console to say it in the page's language.
 */
export class RecipientsCsvError extends Error {
  override readonly name = 'RecipientsCsvError';
  readonly code: string;
  readonly params: Record<string, TextParam>;
  constructor(text: CodedText, options?: ErrorOptions) {
    super(text.text, options);
    this.code = text.code;
    this.params = text.params;
  }
}

/** One valid row, merged with its duplicates. */
export interface CsvRecipient {
  email: string;
  name: string | null;
  groups: string[];
  lines: number[];
}

/** What a recipients file holds. */
export interface ParsedRecipients {
  encoding: 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';
  delimiter: ',' | '\t' | ';';
  /** Valid recipients, one per address (duplicates merged: groups united, the last non-empty name). */
  recipients: CsvRecipient[];
  /** Rows refused, with their line number in the file (1 = the header). */
  invalid: { line: number; value: string; reason: string }[];
  /** Addresses found on more than one line. */
  duplicates: { email: string; lines: number[] }[];
}

/** The header, with the Chinese names an operator's Excel sheet may use. */
const COLUMNS: Record<'email' | 'name' | 'groups', string[]> = {
  email: ['email', 'e-mail', 'mail', 'address', '邮箱', '电子邮件', '电子邮箱', '邮件地址', '邮箱地址'],
  name: ['name', '姓名', '名字', '名称'],
  groups: ['groups', 'group', '分组', '组', '组别', '部门'],
};
const EXPECTED = 'email,name,groups';
const MAX_BYTES = 20 * 1024 * 1024;

/** Groups inside the field: `研究部;投资部` or `研究部|投资部` (full-width forms too), or one per line. */
const GROUP_SEPARATORS = /[;|；｜、\r\n]/;

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or CR before one): the export
 * writes it with a leading `'` (Excel shows the text, runs nothing) and the import takes that `'` off again.
 */
const FORMULA = /^[=+\-@\t\r]/;
const unguard = (v: string) => (v.startsWith("'") && FORMULA.test(v.slice(1)) ? v.slice(1) : v);

/** A field as written, trimmed (an address keeps its inner spaces and breaks, so they are refused). */
function rawCell(record: string[], i: number): string {
  return i >= 0 ? unguard((record[i] ?? '').trim()) : '';
}

/** One CSV field: formula-guarded, then quoted when it must be (RFC 4180). */
function csvField(raw: string): string {
  const v = FORMULA.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * Recipients as the CSV {@link parseRecipientsCsv} reads (`email,name,groups`, groups joined by `;`), with a
 * UTF-8 byte-order mark so that Excel shows Chinese names, and formula-guarded cells (see `FORMULA`).
 * @example formatRecipientsCsv([{ email: 'a@example.com', name: '=1+1', groups: ['研究部'] }])
 * // '\uFEFFemail,name,groups\r\na@example.com,\'=1+1,研究部\r\n'
 */
export function formatRecipientsCsv(rows: { email: string; name: string | null; groups: string[] }[]): string {
  const lines = rows.map((r) => [r.email, r.name ?? '', r.groups.join(';')].map(csvField).join(','));
  return `\uFEFFemail,name,groups\r\n${lines.map((l) => `${l}\r\n`).join('')}`;
}

/**
 * The line (1-based, as an editor numbers them) on which each record starts, from where the record before it
 * ended (`ends`: csv-parse's `info.bytes`, UTF-8 offsets). csv-parse's own `info.lines` counts a CR LF inside a
 * quoted field as two lines and gives the record's last line.
 */
function recordLines(body: string, ends: number[]): (record: number) => number {
  const buf = Buffer.from(body, 'utf8');
  const starts = [0];
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) i++;
    if (buf[i] === 0x0d || buf[i] === 0x0a) starts.push(i + 1);
  }
  return (record) => {
    let at = record === 0 ? 0 : ends[record - 1]!;
    while (at < buf.length && (buf[at] === 0x0d || buf[at] === 0x0a || buf[at] === 0x20 || buf[at] === 0x09)) at++;
    let lo = 0;
    let hi = starts.length; // the first line start after `at`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * Checks and normalises one address (trimmed, `<…>` removed, lower-case, an IDN domain allowed). Returns
 * the address, or the reason it is refused.
 *
 * @example checkAddress(' Li.Si@Example.COM ') // { email: 'li.si@example.com' }
 * @example checkAddress('li＠example.com')     // { reason: 'full-width ＠ — write @' }
 */
export function checkAddress(raw: string): { email: string } | { reason: string } {
  const value = raw
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .trim();
  if (value === '') return { reason: 'missing address' };
  if (value.includes('＠')) return { reason: 'full-width ＠ — write @' };
  if (/\s/.test(value)) return { reason: 'contains a space' };
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1 || value.indexOf('@') !== at) return { reason: 'not an e-mail address' };
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).replace(/\.$/, '');
  if (local.length > 64 || value.length > 254) return { reason: 'too long' };
  if (/[<>()[\]\\,;:"]/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..'))
    return { reason: 'invalid characters before @' };
  const ascii = domainToASCII(domain.toLowerCase());
  const labels = ascii.split('.');
  const validLabels =
    ascii !== '' && labels.length >= 2 && labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l));
  if (!validLabels || !/^(?:[a-z]{2,}|xn--[a-z0-9-]+)$/.test(labels.at(-1)!))
    return { reason: `invalid domain "${domain}"` };
  return { email: `${local}@${domain}`.toLowerCase() };
}

/** Decodes the file: a BOM decides; otherwise UTF-8, then GB18030 (what Excel in China saves as "CSV"). */
function decode(bytes: Buffer): { text: string; encoding: ParsedRecipients['encoding'] } {
  if (bytes.length > MAX_BYTES)
    throw new RecipientsCsvError(say('csv.tooLarge', { bytes: bytes.length, max: MAX_BYTES }));
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  if (bytes.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    throw new RecipientsCsvError(say('csv.workbook'));
  }
  if (bytes.includes(0)) throw new RecipientsCsvError(say('csv.binary'));
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes), encoding: 'utf-8' };
  } catch {
    /* not UTF-8: try GB18030 */
  }
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(bytes), encoding: 'gb18030' };
  } catch {
    throw new RecipientsCsvError(say('csv.encoding'));
  }
}

function headerColumns(header: string[]): Record<'email' | 'name' | 'groups', number> {
  const found: Partial<Record<'email' | 'name' | 'groups', number>> = {};
  header.forEach((cell, i) => {
    const h = cell
      .replace(/^\uFEFF/, '')
      .trim()
      .toLowerCase();
    if (h === '') return;
    const key = (Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]).find((k) => COLUMNS[k].includes(h));
    if (!key) {
      if (h.includes('@'))
        throw new RecipientsCsvError(say('csv.headerAddress', { expected: EXPECTED, cell: cell.trim() }));
      throw new RecipientsCsvError(say('csv.unexpectedColumn', { cell: cell.trim(), expected: EXPECTED }));
    }
    if (found[key] !== undefined) throw new RecipientsCsvError(say('csv.columnTwice', { column: key }));
    found[key] = i;
  });
  if (found.email === undefined) throw new RecipientsCsvError(say('csv.noEmail', { expected: EXPECTED }));
  return { email: found.email, name: found.name ?? -1, groups: found.groups ?? -1 };
}

/**
 * Reads a recipients CSV (`email,name,groups`; groups separated by `;` or `|` inside their field): decodes
 * it, checks every address, merges duplicates. Bad rows are reported with their line number and do not
 * stop the others; a file that is not such a CSV at all throws a {@link RecipientsCsvError}.
 *
 * @example
 * const { recipients, invalid } = parseRecipientsCsv(readFileSync('recipients.csv'));
 */
export function parseRecipientsCsv(bytes: Buffer): ParsedRecipients {
  const { text, encoding } = decode(bytes);
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.split(/\r?\n/, 1)[0] ?? '';
  if (firstLine.trim() === '') throw new RecipientsCsvError(say('csv.emptyFirstLine', { expected: EXPECTED }));
  const delimiter: ParsedRecipients['delimiter'] = firstLine.includes(',')
    ? ','
    : firstLine.includes('\t')
      ? '\t'
      : firstLine.includes(';') && !firstLine.includes('|')
        ? ';'
        : ',';
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parse(body, {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (err) {
    throw new RecipientsCsvError(say('csv.invalid', { error: (err as Error).message }), { cause: err });
  }
  const [header, ...rows] = records;
  if (!header) throw new RecipientsCsvError(say('csv.empty', { expected: EXPECTED }));
  const col = headerColumns(header.record);
  const lineOf = recordLines(
    body,
    records.map((r) => r.info.bytes),
  );

  const byEmail = new Map<string, CsvRecipient>();
  const invalid: ParsedRecipients['invalid'] = [];
  for (const [k, { record }] of rows.entries()) {
    if (record.every((c) => c.trim() === '')) continue;
    const line = lineOf(k + 1);
    // A quoted field may hold line breaks: none may reach a name or a group (a mail header, a list).
    const cell = (i: number) => (i >= 0 ? unguard((record[i] ?? '').replace(/\s+/g, ' ').trim()) : '');
    const checked = checkAddress(rawCell(record, col.email));
    if ('reason' in checked) {
      invalid.push({ line, value: cell(col.email), reason: checked.reason });
      continue;
    }
    const groups = rawCell(record, col.groups)
      .split(GROUP_SEPARATORS)
      .map((g) => g.replace(/\s+/g, ' ').trim())
      .filter(Boolean);
    const prev = byEmail.get(checked.email);
    byEmail.set(checked.email, {
      email: checked.email,
      name: cell(col.name) || prev?.name || null,
      groups: [...new Set([...(prev?.groups ?? []), ...groups])].sort(),
      lines: [...(prev?.lines ?? []), line],
    });
  }
  const recipients = [...byEmail.values()];
  return {
    encoding,
    delimiter,
    recipients,
    invalid,
    duplicates: recipients.filter((r) => r.lines.length > 1).map((r) => ({ email: r.email, lines: r.lines })),
  };
}
