/**
 * The article-extraction benchmark's scorer (scrapinghub/article-extraction-benchmark, `evaluate.py`),
 * reproduced exactly: `\w+` tokens, overlapping 4-token shingles counted as multisets, per-page TP/FP/FN
 * normalised by their sum, precision and recall averaged over the pages where they are defined, F1 from
 * the two averages.
 */

/** One page's normalised counts. */
export interface PageCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Averages over pages, and F1 from them. */
export interface Scores {
  f1: number;
  precision: number;
  recall: number;
  pages: number;
}

/** Python's `\w` on str: letters, numbers (all `N*` categories) and the underscore. */
const WORD = /[\p{L}\p{N}_]+/gu;
/** CJK ideographs (and their extensions/compatibility block): each is one token in the CJK variant. */
const CJK_CHAR = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]/u;

/** `\w+` tokens, as `re.findall(r'\w+', text)` returns them. */
export function wordTokens(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** The same tokens with every CJK character split out as a token of its own (the Chinese variant). */
export function cjkCharTokens(text: string): string[] {
  const out: string[] = [];
  for (const tok of wordTokens(text)) {
    let run = '';
    for (const ch of tok) {
      if (CJK_CHAR.test(ch)) {
        if (run) out.push(run);
        run = '';
        out.push(ch);
      } else run += ch;
    }
    if (run) out.push(run);
  }
  return out;
}

/** Multiset of overlapping n-token shingles; fewer than n tokens make one shingle, none make none. */
export function shingles(tokens: readonly string[], n = 4): Map<string, number> {
  const out = new Map<string, number>();
  const count = Math.max(1, tokens.length - n + 1);
  for (let i = 0; i < count; i++) {
    const s = tokens.slice(i, i + n);
    if (s.length === 0) continue;
    const key = s.join('\u0000');
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** TP/FP/FN of one page, normalised by their sum (all zero when both texts are empty). */
export function pageCounts(
  truth: string,
  predicted: string,
  tokenize: (s: string) => string[] = wordTokens,
): PageCounts {
  const t = shingles(tokenize(truth));
  const p = shingles(tokenize(predicted));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [k, tc] of t) {
    const pc = p.get(k) ?? 0;
    tp += Math.min(tc, pc);
    fn += Math.max(0, tc - pc);
  }
  for (const [k, pc] of p) fp += Math.max(0, pc - (t.get(k) ?? 0));
  const sum = tp + fp + fn;
  return sum > 0 ? { tp: tp / sum, fp: fp / sum, fn: fn / sum } : { tp, fp, fn };
}

function precisionOf({ tp, fp, fn }: PageCounts): number {
  if (fp === 0 && fn === 0) return 1;
  if (tp === 0 && fp === 0) return 0;
  return tp / (tp + fp);
}

function recallOf({ tp, fp, fn }: PageCounts): number {
  if (fp === 0 && fn === 0) return 1;
  if (tp === 0 && fn === 0) return 0;
  return tp / (tp + fn);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Precision averaged over pages with TP+FP > 0, recall over pages with TP+FN > 0, F1 from the two. */
export function aggregate(pages: readonly PageCounts[]): Scores {
  const precision = mean(pages.filter((c) => c.tp + c.fp > 0).map(precisionOf));
  const recall = mean(pages.filter((c) => c.tp + c.fn > 0).map(recallOf));
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { f1, precision, recall, pages: pages.length };
}

/**
 * Scores predictions against the ground truth; like `evaluate.py`, the two must cover the same pages.
 *
 * @example score(truth, predicted).f1
 */
export function score(
  truth: Record<string, { articleBody?: string | null }>,
  predicted: Record<string, { articleBody?: string | null }>,
  tokenize: (s: string) => string[] = wordTokens,
): Scores {
  const keys = Object.keys(truth);
  const missing = keys.filter((k) => !(k in predicted));
  if (missing.length || Object.keys(predicted).length !== keys.length) {
    throw new Error(
      `prediction keys do not match the ground truth (${missing.length} missing, ${Object.keys(predicted).length} predicted)`,
    );
  }
  return aggregate(keys.map((k) => pageCounts(truth[k]!.articleBody ?? '', predicted[k]!.articleBody ?? '', tokenize)));
}
