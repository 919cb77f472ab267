/**
 * The token stream every dedup signal is computed from, in one pass over the normalised story text (see
 * `storyText`): CJK characters, Latin words and numbers-with-their-unit ("0.62%", "3386.25", "1.2万亿").
 * SimHash, shingles, number contexts and significant numbers all read it, so the in-memory clusterer, the
 * DB stage and `finrep dedup` see the same document. No dictionary segmentation: character n-grams are as
 * good for near-duplicates and ~10× faster than jieba.
 */
export { normalizeText } from './normalize.ts';

/** Token kinds. */
export const CJK = 0;
export const WORD = 1;
export const NUM = 2;

/** The tokens of a text; arrays are reused between calls (copy what must outlive the next `tokenize`). */
export interface Tokens {
  count: number;
  kind: Uint8Array;
  /** CJK: the UTF-16 code unit; WORD/NUM: a 32-bit hash of the token's text. */
  value: Int32Array;
  /** 1 when nothing separates the token from the previous one (CJK bigrams only form inside a run). */
  joined: Uint8Array;
  /** Start and end offsets in the text (for numbers and words, whose text is needed). */
  start: Int32Array;
  end: Int32Array;
}

let buffers: Tokens = alloc(4096);
const K_CJK = CJK;
const K_WORD = WORD;
const K_NUM = NUM;

function alloc(n: number): Tokens {
  return {
    count: 0,
    kind: new Uint8Array(n),
    value: new Int32Array(n),
    joined: new Uint8Array(n),
    start: new Int32Array(n),
    end: new Int32Array(n),
  };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLatin = (c: number) => c >= 97 && c <= 122;
/** CJK Unified Ideographs (+ Extension A) and the compatibility block: one token per character. */
export const isCjk = (c: number) => (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);

/**
 * End of the number starting at `i` (a digit): digits, `,ddd` groups, a decimal part, then optionally one
 * space and a unit (% 万亿 亿 万 千) — the regex `\d+(?:,\d{3})*(?:\.\d+)?(?: ?(?:%|万亿|亿|万|千))?`.
 */
export function scanNumber(s: string, i: number): number {
  let j = i;
  while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  while (
    s.charCodeAt(j) === 44 &&
    isDigit(s.charCodeAt(j + 1)) &&
    isDigit(s.charCodeAt(j + 2)) &&
    isDigit(s.charCodeAt(j + 3))
  )
    j += 4;
  if (s.charCodeAt(j) === 46 && isDigit(s.charCodeAt(j + 1))) {
    j += 2;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  }
  const k = s.charCodeAt(j) === 32 ? j + 1 : j;
  const c = s.charCodeAt(k);
  if (c === 37 /* % */ || c === 0x4ebf /* 亿 */ || c === 0x5343 /* 千 */) return k + 1;
  if (c === 0x4e07 /* 万 */) return s.charCodeAt(k + 1) === 0x4ebf ? k + 2 : k + 1;
  return j;
}

/** The canonical text of a number token: thousands separators and the space before a unit removed. */
export function numberText(s: string, start: number, end: number): string {
  const v = s.slice(start, end);
  return v.includes(',') || v.includes(' ') ? v.replace(/[, ]/g, '') : v;
}

/** FNV-1a over a slice, as a signed 32-bit value. */
function fnv(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c !== 44 && c !== 32) h = Math.imul(h ^ c, 0x01000193);
  }
  return h | 0;
}

/**
 * Splits normalised text into tokens. Anything that is not a CJK character, a Latin letter or a digit
 * separates tokens.
 */
export function tokenize(s: string): Tokens {
  if (buffers.kind.length < s.length + 1) buffers = alloc(s.length + 1024);
  const t = buffers;
  let n = 0;
  let lastEnd = -1;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let kind: number;
    let end: number;
    let value: number;
    if (isCjk(c)) {
      kind = K_CJK;
      end = i + 1;
      value = c;
    } else if (isDigit(c)) {
      kind = K_NUM;
      end = scanNumber(s, i);
      value = fnv(s, i, end);
    } else if (isLatin(c)) {
      kind = K_WORD;
      end = i + 1;
      while (end < s.length && isLatin(s.charCodeAt(end))) end++;
      value = fnv(s, i, end);
    } else {
      i++;
      continue;
    }
    t.kind[n] = kind;
    t.value[n] = value;
    t.joined[n] = lastEnd === i ? 1 : 0;
    t.start[n] = i;
    t.end[n] = end;
    n++;
    lastEnd = end;
    i = end;
  }
  t.count = n;
  return t;
}

/** Every number token of a normalised text, in order. */
export function numberTokens(normalized: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < normalized.length; i++) {
    if (!isDigit(normalized.charCodeAt(i))) continue;
    // A digit glued to a Latin word ("h20", "a50") still starts a number, as in the tokenizer.
    const end = scanNumber(normalized, i);
    out.push(numberText(normalized, i, end));
    i = end - 1;
  }
  return out;
}

/**
 * Numbers that identify an event rather than a date, a count or a round figure: decimals, amounts with a
 * Chinese unit, percentages other than round ones (5%, 10%, 50%), and integers ≥ 100 that are not years.
 */
export function isSignificantNumber(t: string): boolean {
  if (/[.万亿千]/.test(t)) return true;
  if (t.endsWith('%')) return !/^[1-9]0*%$/.test(t);
  const v = Number(t);
  return v >= 100 && !(v >= 1900 && v <= 2100);
}

/** The significant numbers of a normalised text (see `isSignificantNumber`). */
export function significantNumbers(normalized: string): Set<string> {
  return new Set(numberTokens(normalized).filter(isSignificantNumber));
}
