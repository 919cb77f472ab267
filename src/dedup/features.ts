/**
 * Text features shared by SimHash and the near-duplicate rules: normalisation, number tokens, CJK
 * bigrams and jieba words. One place, so the in-memory clusterer, the stage and `finrep dedup` agree.
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

let jieba: Jieba | null = null;

/** The segmenter with jieba's default dictionary, loaded on first use (~0.2 s). */
export function segmenter(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

/** NFKC (full-width digits and letters → ASCII), lower case, whitespace collapsed. */
export function normalizeText(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}

/** Numbers with their unit: "0.62%", "3386.25", "1.2万亿", "5000亿", "2025". Thousands separators removed. */
const NUMBER = /\d+(?:,\d{3})*(?:\.\d+)?(?:\s*(?:%|万亿|亿|万|千))?/g;

/** Every number token of a (normalised) text, in order. */
export function numberTokens(normalized: string): string[] {
  return Array.from(normalized.matchAll(NUMBER), (m) => m[0].replace(/,|\s/g, ''));
}

/**
 * Numbers that identify an event rather than a date, a count or a round figure: decimals, amounts with a
 * Chinese unit, percentages other than round ones (5%, 10%, 50%), and integers ≥ 100 that are not years.
 */
export function significantNumbers(normalized: string): Set<string> {
  const out = new Set<string>();
  for (const t of numberTokens(normalized)) {
    if (/[.万亿千]/.test(t)) out.add(t);
    else if (t.endsWith('%')) {
      if (!/^[1-9]0*%$/.test(t)) out.add(t);
    } else if (Number(t) >= 100 && !(Number(t) >= 1900 && Number(t) <= 2100)) out.add(t);
  }
  return out;
}

/** The text with its numbers blanked out (they are features of their own). */
export function withoutNumbers(normalized: string): string {
  return normalized.replace(NUMBER, ' ');
}

const CJK_RUN = /[\u3400-\u9fff\uf900-\ufaff]+/g;

/** Overlapping character bigrams of every CJK run (a one-character run is its own feature). */
export function cjkBigrams(normalized: string): string[] {
  const out: string[] = [];
  for (const [run] of normalized.matchAll(CJK_RUN)) {
    if (run.length === 1) out.push(run);
    for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  }
  return out;
}

/** Words of two characters or more (CJK words from jieba, Latin words and tickers), punctuation dropped. */
export function words(normalized: string): string[] {
  return segmenter()
    .cut(normalized, false)
    .filter((w) => w.length >= 2 && /[\p{L}\p{N}]/u.test(w) && !/^\s/.test(w));
}
