/**
 * Synthetic Chinese financial "news" for the lookup benchmark: words drawn by frequency from jieba's
 * dictionary, with figures (percentages, amounts, prices, six-digit tickers) at the density of real
 * articles. Not meant to be read — meant to give every row realistic shingles, numbers and index keys, so
 * that posting lists have the sizes they would have in production.
 */
import { dict } from '@node-rs/jieba/dict.js';

export interface Vocabulary {
  words: string[];
  cumulative: Float64Array;
  total: number;
}

/** Words of two to four CJK characters with their frequencies, from jieba's dictionary. */
export function vocabulary(minFrequency = 20): Vocabulary {
  const words: string[] = [];
  const weights: number[] = [];
  for (const line of new TextDecoder().decode(dict).split('\n')) {
    const [word, freq] = line.split(' ');
    if (!word || !/^[\u4e00-\u9fff]{2,4}$/.test(word)) continue;
    const f = Number(freq);
    if (f < minFrequency) continue;
    words.push(word);
    weights.push(f);
  }
  const cumulative = new Float64Array(words.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += w;
    cumulative[i] = total;
  });
  return { words, cumulative, total };
}

function word(v: Vocabulary, rand: () => number): string {
  const x = rand() * v.total;
  let lo = 0;
  let hi = v.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v.cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return v.words[lo]!;
}

const FIGURES: ((rand: () => number) => string)[] = [
  (r) => `${(r() * 30).toFixed(1)}%`,
  (r) => `${(r() * 3).toFixed(2)}%`,
  (r) => `${(1 + r() * 900).toFixed(1)}亿元`,
  (r) => `${Math.round(100 + r() * 9000)}万元`,
  (r) => `${(1 + r() * 300).toFixed(2)}元`,
  (r) => `${Math.round(1 + r() * 90)}个基点`,
  (r) => `${Math.round(2 + r() * 400)}家`,
];
const TICKER_POOL = 5000;

function sentence(v: Vocabulary, rand: () => number): string {
  const n = 8 + Math.floor(rand() * 7);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += word(v, rand);
    if (i === 3 && rand() < 0.6) s += FIGURES[Math.floor(rand() * FIGURES.length)]!(rand);
    if (i === 1 && rand() < 0.08) s += `（${String(600000 + Math.floor(rand() * TICKER_POOL)).padStart(6, '0')}）`;
    if (i > 0 && i < n - 1 && rand() < 0.12) s += '，';
  }
  return `${s}。`;
}

/**
 * One article: a headline with a figure and three to five paragraphs of two or three sentences (~400
 * characters).
 *
 * @example syntheticArticle(vocabulary(), prng(1)).text.length
 */
export function syntheticArticle(v: Vocabulary, rand: () => number): { title: string; text: string } {
  const title = `${word(v, rand)}${word(v, rand)}${FIGURES[Math.floor(rand() * 3)]!(rand)}，${word(v, rand)}${word(v, rand)}${word(v, rand)}`;
  const paragraphs = Array.from({ length: 3 + Math.floor(rand() * 3) }, () =>
    Array.from({ length: 2 + Math.floor(rand() * 2) }, () => sentence(v, rand)).join(''),
  );
  return { title, text: paragraphs.join('\n\n') };
}
