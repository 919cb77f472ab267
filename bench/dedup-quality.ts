/**
 * Near-duplicate quality on the generated evaluation set (src/dedup/testdata/neardup): pairwise precision
 * and recall of the decision and of the clusters, recall per kind of repost, false positives per family of
 * hard negatives. The same numbers are asserted by src/dedup/neardup.test.ts; this writes them into
 * docs/dedup.md.
 */
import path from 'node:path';
import { buildNearDupSet, baseArticles } from '../src/dedup/testdata/neardup/index.ts';
import { evaluateNearDup } from '../src/dedup/testdata/neardup/evaluate.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { round, say } from './lib/results.ts';

const DOC = path.resolve(import.meta.dirname, '../docs/dedup.md');
const f3 = (x: number) => x.toFixed(4);

export async function run(): Promise<object> {
  const t0 = performance.now();
  const docs = buildNearDupSet();
  const e = evaluateNearDup(docs);
  const ms = performance.now() - t0;
  const bases = baseArticles();
  say(
    `dedup-quality: ${docs.length} documents from ${bases.length} originals, ${e.stories} stories, ${e.positivePairs} positive pairs`,
  );
  say(
    `  decision: precision ${f3(e.decision.precision)}  recall ${f3(e.decision.recall)}  (fp ${e.decision.fp}, fn ${e.decision.fn})`,
  );
  say(
    `  clusters: precision ${f3(e.clusters.precision)}  recall ${f3(e.clusters.recall)}  (fp ${e.clusters.fp}, fn ${e.clusters.fn})`,
  );
  // What each part of the decision buys: the same set decided with parts switched off.
  const off = {
    minContainment: Number.POSITIVE_INFINITY,
    maxHammingShared2: -1,
    maxHammingShared3: -1,
    vetoNumberOverlap: 0,
    contextVeto: false,
  };
  const ablations = [
    { name: 'SimHash alone, Hamming ≤ 3', opts: off },
    {
      name: "+ shared-number rules and number veto (the walking skeleton's decision)",
      opts: { ...off, maxHammingShared2: 16, maxHammingShared3: 24, vetoNumberOverlap: 0.3 },
    },
    { name: '+ containment of shingles with a shared anchor sentence, no context veto', opts: { contextVeto: false } },
    { name: '+ context veto (production)', opts: {} },
  ].map((a) => {
    const r = Object.keys(a.opts).length === 0 ? e : evaluateNearDup(docs, a.opts);
    say(`  ablation: ${a.name}: P ${f3(r.decision.precision)} R ${f3(r.decision.recall)}`);
    return { name: a.name, decision: r.decision, clusters: r.clusters };
  });
  const kinds = Object.entries(e.recallByKind);
  const twinOnly = e.falsePositives.every((f) => f.a.endsWith('~other-period') || f.b.endsWith('~other-period'));
  const hard = Object.entries(e.hardNegatives);
  updateDocBlock(
    DOC,
    'dedup-quality',
    `
Measured by \`npm run bench -- dedup-quality\` (asserted by \`src/dedup/neardup.test.ts\`): ${docs.length} documents
generated from ${bases.length} originals (seed 20260210), ${e.stories} stories, ${e.positivePairs.toLocaleString('en-US')} positive pairs;
${e.candidateNegatives.toLocaleString('en-US')} negative pairs share an index key and were decided, the other
${((docs.length * (docs.length - 1)) / 2 - e.positivePairs - e.candidateNegatives).toLocaleString('en-US')} are "different" by construction.

| pairwise | precision | recall | false positives | false negatives |
|---|---|---|---|---|
| decision (\`isNearDuplicate\`) | **${f3(e.decision.precision)}** | **${f3(e.decision.recall)}** | ${e.decision.fp} | ${e.decision.fn} |
| clusters (\`clusterItems\` = DB stage) | **${f3(e.clusters.precision)}** | **${f3(e.clusters.recall)}** | ${e.clusters.fp} | ${e.clusters.fn} |

| repost vs its original | pairs | recall |
|---|---|---|
${kinds.map(([k, v]) => `| ${k} | ${v.pairs} | ${f3(v.recall)} |`).join('\n')}

| hard negatives (pairs within a family) | pairs | false positives |
|---|---|---|
${hard.map(([k, v]) => `| ${k} | ${v.pairs.toLocaleString('en-US')} | ${v.falsePositives} |`).join('\n')}

What each part buys (the same set, parts of the decision switched off through \`NearDuplicateOptions\`):

| decision | precision | recall | clusters: precision | clusters: recall |
|---|---|---|---|---|
${ablations.map((a) => `| ${a.name} | ${f3(a.decision.precision)} | ${f3(a.decision.recall)} | ${f3(a.clusters.precision)} | ${f3(a.clusters.recall)} |`).join('\n')}

True positives by rule: ${Object.entries(e.rules)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. ${
      twinOnly
        ? `The false positives are
all of one kind: a lead-only or trimmed repost whose remaining paragraphs carry no figure, against the "next
period" twin whose figures changed only further down — the two texts are identical where they overlap.`
        : `False positives:
${e.falsePositives.map((f) => `\`${f.a}\` / \`${f.b}\` (${f.verdict})`).join(', ')}.`
    }
The false negatives are variant pairs of the demo world's outlet rewrites (two outlets' own wording, few
shared sentences), e.g. ${e.falseNegatives
      .slice(0, 2)
      .map((f) => `\`${f.a}\` / \`${f.b}\``)
      .join(', ')}.
`,
  );
  return {
    documents: docs.length,
    originals: bases.length,
    stories: e.stories,
    positive_pairs: e.positivePairs,
    candidate_negatives: e.candidateNegatives,
    decision: e.decision,
    clusters: e.clusters,
    recall_by_kind: e.recallByKind,
    hard_negatives: e.hardNegatives,
    rules: e.rules,
    ablations,
    false_positives: e.falsePositives,
    false_negatives: e.falseNegatives.length,
    ms: round(ms, 0),
  };
}
