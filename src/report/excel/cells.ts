/**
 * Cell values from untrusted data. Every string from a feed or a model goes through `textCell` or
 * `linkCell`, so no data ever becomes a formula, an invalid XML character or an unsafe hyperlink.
 */
import type ExcelJS from 'exceljs';
import { safeUrl, toWallClockDate } from '../format.ts';

/** Excel's limit on the characters of one cell. */
const MAX_CELL_CHARS = 32_767;
/** Longer hyperlink targets make Excel report the file as damaged. */
const MAX_LINK_CHARS = 2_000;

/** First characters that make a spreadsheet (Excel, LibreOffice, a later CSV export) read a formula or DDE (CSV importers may strip a leading tab or line break). */
const FORMULA_START = /^[=+\-@\t\r\n]/;
// XML 1.0 forbids these control characters; one in a cell would make the file unreadable.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * The string as inert text: invalid XML characters dropped, length capped and, when it starts like a
 * formula, prefixed with `'` — the OWASP advice, which still holds if someone re-saves the sheet as CSV.
 */
export function textCell(value: string | null | undefined): string {
  if (!value) return '';
  // XML turns a bare CR into LF on reading anyway; normalise first so what is checked is what is read.
  const clean = value.replace(INVALID_XML, '').replace(/\r\n?/g, '\n');
  const text = FORMULA_START.test(clean) ? `'${clean}` : clean;
  return text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) : text;
}

/** A hyperlink cell when the URL is http(s), else the plain (inert) text. */
export function linkCell(text: string, url: string | null | undefined): ExcelJS.CellValue {
  const href = safeUrl(url);
  const label = textCell(text) || textCell(href ?? '');
  if (!href || href.length > MAX_LINK_CHARS) return label;
  return { text: label, hyperlink: href };
}

/** A date Excel shows as the wall clock of `timeZone` (exceljs writes Dates by their UTC fields). */
export function dateCell(date: Date | null, timeZone: string): Date | null {
  if (!date || Number.isNaN(date.getTime())) return null;
  return toWallClockDate(date, timeZone);
}
