/**
 * Pairwise precision and recall of the near-duplicate decision and of the clusterer on the evaluation set.
 * A pair is positive when both documents share a story. The decision is evaluated on every positive pair
 * and on every negative pair that shares an index key (a SimHash band, an anchor or a number pair); a pair
 * sharing none is "different" by construction of the rules (checked by a test on sampled pairs).
 */
import { clusterItems, dedupDoc, explainNearDuplicate, fingerprintOf } from '../../cluster.ts';
import type { DedupDoc, NearDuplicateOptions, Verdict } from '../../cluster.ts';
import { bands } from '../../simhash.ts';
import type { EvalDoc } from './index.ts';

export interface PairCounts {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export interface Evaluation {
  docs: number;
  stories: number;
  positivePairs: number;
  /** Negative pairs that share an index key (every other negative pair is decided "different"). */
  candidateNegatives: number;
  decision: PairCounts;
  clusters: PairCounts;
  /** Recall of the decision per kind of repost, against the original. */
  recallByKind: Record<string, { pairs: number; recall: number }>;
  /** Hard negatives: pairs of one group (same template, same company, next period), with their false positives. */
  hardNegatives: Record<string, { pairs: number; falsePositives: number }>;
  /** Which rule decided the true positives. */
  rules: Partial<Record<Verdict, number>>;
  falsePositives: { a: string; b: string; verdict: Verdict }[];
  falseNegatives: { a: string; b: string; verdict: Verdict }[];
}

const counts = (tp: number, fp: number, fn: number): PairCounts => ({
  tp,
  fp,
  fn,
  precision: tp + fp ? tp / (tp + fp) : 1,
  recall: tp + fn ? tp / (tp + fn) : 1,
});

/** Index pairs (i < j) that share a band, an anchor or a number pair, plus every same-story pair. */
function pairsToDecide(docs: readonly EvalDoc[], dd: readonly DedupDoc[]): [number, number][] {
  const maps = new Map<string, number[]>();
  const put = (key: string, i: number) => {
    const list = maps.get(key);
    if (list) list.push(i);
    else maps.set(key, [i]);
  };
  dd.forEach((d, i) => {
    const fp = fingerprintOf(d);
    bands(d.simhash).forEach((v, b) => put(`b${b}:${v}`, i));
    fp.anchors.forEach((a) => put(`a:${a}`, i));
    fp.numberPairs.forEach((p) => put(`p:${p}`, i));
  });
  docs.forEach((d, i) => put(`s:${d.story}`, i));
  const seen = new Set<number>();
  const out: [number, number][] = [];
  for (const list of maps.values()) {
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const [i, j] = [list[x]!, list[y]!];
        const key = i * docs.length + j;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push([i, j]);
      }
    }
  }
  return out;
}

/**
 * Evaluates the decision and `clusterItems` on a generated set.
 *
 * @example evaluateNearDup(buildNearDupSet()).decision.precision
 * @param opts the decision's options (defaults: the production rules)
 */
export function evaluateNearDup(docs: readonly EvalDoc[], opts: NearDuplicateOptions = {}): Evaluation {
  const dd = docs.map((d) => dedupDoc(d.title, d.text));
  const storySize = new Map<string, number>();
  for (const d of docs) storySize.set(d.story, (storySize.get(d.story) ?? 0) + 1);
  const positivePairs = [...storySize.values()].reduce((n, s) => n + (s * (s - 1)) / 2, 0);

  let tp = 0;
  let fp = 0;
  let candidateNegatives = 0;
  const rules: Partial<Record<Verdict, number>> = {};
  const byKind = new Map<string, { pairs: number; hits: number }>();
  const hard = new Map<string, { pairs: number; falsePositives: number }>();
  const falsePositives: Evaluation['falsePositives'] = [];
  const falseNegatives: Evaluation['falseNegatives'] = [];
  for (const [i, j] of pairsToDecide(docs, dd)) {
    const [a, b] = [docs[i]!, docs[j]!];
    const verdict = explainNearDuplicate(dd[i]!, dd[j]!, opts);
    const yes = verdict === 'hash' || verdict === 'containment' || verdict === 'numbers';
    if (a.story === b.story) {
      if (yes) {
        tp++;
        rules[verdict] = (rules[verdict] ?? 0) + 1;
      } else falseNegatives.push({ a: a.id, b: b.id, verdict });
      const other = a.kind === 'original' ? b : b.kind === 'original' ? a : null;
      if (other && a.id.split('~')[0] === b.id.split('~')[0]) {
        const k = byKind.get(other.kind) ?? { pairs: 0, hits: 0 };
        k.pairs++;
        if (yes) k.hits++;
        byKind.set(other.kind, k);
      }
    } else {
      candidateNegatives++;
      if (yes) {
        fp++;
        falsePositives.push({ a: a.id, b: b.id, verdict });
      }
    }
  }
  // Hard negatives are counted over all pairs of a group, decided or not.
  const groups = new Map<string, number[]>();
  docs.forEach((d, i) => {
    const g = hardGroup(d);
    if (g) groups.set(g, [...(groups.get(g) ?? []), i]);
  });
  for (const [g, members] of groups) {
    const label = g.split('|')[0]!;
    const h = hard.get(label) ?? { pairs: 0, falsePositives: 0 };
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const [a, b] = [docs[members[x]!]!, docs[members[y]!]!];
        if (a.story === b.story) continue;
        h.pairs++;
      }
    }
    hard.set(label, h);
  }
  for (const f of falsePositives) {
    const [a, b] = [docs.find((d) => d.id === f.a)!, docs.find((d) => d.id === f.b)!];
    const ga = hardGroup(a);
    if (ga && ga === hardGroup(b)) hard.get(ga.split('|')[0]!)!.falsePositives++;
  }

  const clusters = clusterItems(
    docs.map((d, i) => Object.assign(dd[i]!, { id: d.id, publishedAt: d.publishedAt })),
    opts,
  );
  const contingency = new Map<string, number>();
  const predicted = new Map<string, number>();
  for (const d of docs) {
    const c = clusters.get(d.id)!;
    contingency.set(`${c}\u0000${d.story}`, (contingency.get(`${c}\u0000${d.story}`) ?? 0) + 1);
    predicted.set(c, (predicted.get(c) ?? 0) + 1);
  }
  const pairs = (n: number) => (n * (n - 1)) / 2;
  const ctp = [...contingency.values()].reduce((n, s) => n + pairs(s), 0);
  const cpred = [...predicted.values()].reduce((n, s) => n + pairs(s), 0);

  return {
    docs: docs.length,
    stories: storySize.size,
    positivePairs,
    candidateNegatives,
    decision: counts(tp, fp, positivePairs - tp),
    clusters: counts(ctp, cpred - ctp, positivePairs - ctp),
    recallByKind: Object.fromEntries([...byKind].map(([k, v]) => [k, { pairs: v.pairs, recall: v.hits / v.pairs }])),
    hardNegatives: Object.fromEntries(hard),
    rules,
    falsePositives,
    falseNegatives,
  };
}

/** The hard-negative family of a document: same template, same company, or an original and its next period. */
function hardGroup(d: EvalDoc): string | null {
  if (d.group.startsWith('template:')) return `same template, different day|${d.group}`;
  if (d.group.startsWith('company:')) return `same company, different event|${d.group}`;
  return `same text, other period's figures|${d.id.split('~')[0]}`;
}
