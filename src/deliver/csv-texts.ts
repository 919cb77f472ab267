/**
 * Why a recipients file cannot be read at all ({@link RecipientsCsvError}), in English, by code; the console
 * says the same in the page's language (`web/i18n/areas/texts.ts`).
 */
import { textsOf } from '../lib/coded-text.ts';

export const CSV_TEXTS = {
  'csv.tooLarge': 'file too large ({bytes} bytes; at most {max})',
  'csv.workbook': 'this is an Excel workbook or a zip file, not CSV — in Excel use 另存为 → "CSV UTF-8 (逗号分隔)"',
  'csv.binary': 'binary file (it contains NUL bytes), not CSV text',
  'csv.encoding': 'unknown text encoding: the file is neither UTF-8 nor GB18030/GBK',
  'csv.headerAddress': 'line 1 must be the header {expected}, found an address: "{cell}"',
  'csv.unexpectedColumn': 'line 1: unexpected column "{cell}"; expected the header {expected}',
  'csv.columnTwice': 'line 1: column "{column}" appears twice',
  'csv.noEmail': 'line 1: no email column; expected the header {expected}',
  'csv.emptyFirstLine': 'empty file or empty first line; expected the header {expected}',
  'csv.invalid': 'not a valid CSV file: {error}',
  'csv.empty': 'empty file; expected the header {expected}',
} as const;

export type CsvCode = keyof typeof CSV_TEXTS;

/** A file's refusal: `csvText('csv.binary')`. */
export const csvText = textsOf(CSV_TEXTS);
