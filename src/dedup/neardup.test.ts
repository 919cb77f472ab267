/**
 * Near-duplicate quality on the generated evaluation set (testdata/neardup): reposts of ~235 originals in
 * eight ways, next-period twins, template reports of five days, events of the same companies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_MS, clusterItems, dedupDoc, fingerprintOf, isNearDuplicate } from './cluster.ts';
import type { ClusterInput } from './cluster.ts';
import { intersectionSize } from './fingerprint.ts';
import { bands, hamming } from './simhash.ts';
import { EDIT_KINDS, baseArticles, buildNearDupSet } from './testdata/neardup/index.ts';
import type { EvalDoc } from './testdata/neardup/index.ts';
import { evaluateNearDup } from './testdata/neardup/evaluate.ts';
import type { Evaluation } from './testdata/neardup/evaluate.ts';
import { prng } from './testdata/neardup/prng.ts';

let docs: EvalDoc[];
let result: Evaluation;
beforeAll(() => {
  docs = buildNearDupSet();
  result = evaluateNearDup(docs);
});

describe('the evaluation set', () => {
  it('is generated from a seed: the same every time, another one for another seed', () => {
    const again = buildNearDupSet();
    expect(again.map((d) => `${d.id}|${d.title}|${d.text}`)).toEqual(docs.map((d) => `${d.id}|${d.title}|${d.text}`));
    expect(buildNearDupSet({ seed: 7 }).map((d) => d.text)).not.toEqual(docs.map((d) => d.text));
  });

  it('has originals of every family, a repost of each kind per original, and next-period twins', () => {
    const bases = baseArticles();
    expect(bases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(bases.map((b) => b.group.split(':')[0]))).toEqual(new Set(['demo', 'company', 'template']));
    for (const kind of EDIT_KINDS) expect(docs.filter((d) => d.kind === kind)).toHaveLength(bases.length);
    expect(docs.filter((d) => d.kind === 'other-period').length).toBeGreaterThan(100);
  });
});

describe('near-duplicate quality (pairwise)', () => {
  it('decision: precision ≥ 0.99 and recall ≥ 0.95', () => {
    expect(result.decision.precision).toBeGreaterThanOrEqual(0.99);
    expect(result.decision.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('clusters: precision ≥ 0.99 and recall ≥ 0.95', () => {
    expect(result.clusters.precision).toBeGreaterThanOrEqual(0.99);
    expect(result.clusters.recall).toBeGreaterThanOrEqual(0.95);
  });

  it.each(EDIT_KINDS.map((kind) => ({ kind })))('finds ≥ 95 % of the $kind reposts', ({ kind }) => {
    expect(result.recallByKind[kind]!.pairs).toBeGreaterThan(200);
    expect(result.recallByKind[kind]!.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps hard negatives apart (≤ 1 % false positives in each family)', () => {
    const families = Object.entries(result.hardNegatives);
    expect(new Set(families.map(([name]) => name))).toEqual(
      new Set(['same company, different event', "same text, other period's figures", 'same template, different day']),
    );
    for (const [, h] of families) {
      expect(h.pairs).toBeGreaterThan(1000);
      expect(h.falsePositives / h.pairs).toBeLessThanOrEqual(0.01);
    }
    expect(result.hardNegatives['same template, different day']!.falsePositives).toBe(0);
  });

  it('needs every rule: copies by hash, reposts by containment, rewrites by numbers', () => {
    expect(result.rules.hash).toBeGreaterThan(1000);
    expect(result.rules.containment).toBeGreaterThan(1000);
    expect(result.rules.numbers).toBeGreaterThan(100);
  });
});

describe('exact candidate retrieval', () => {
  it('never calls a pair that shares no band, anchor or number pair a duplicate (20,000 sampled pairs)', () => {
    const rand = prng(17);
    const dd = docs.map((d) => dedupDoc(d.title, d.text));
    let checked = 0;
    while (checked < 20_000) {
      const [i, j] = [Math.floor(rand() * docs.length), Math.floor(rand() * docs.length)];
      if (i === j) continue;
      const [a, b] = [dd[i]!, dd[j]!];
      const [fa, fb] = [fingerprintOf(a), fingerprintOf(b)];
      const keyed =
        bands(a.simhash).some((v, k) => v === bands(b.simhash)[k]) ||
        intersectionSize(fa.anchors, fb.anchors) > 0 ||
        intersectionSize(fa.numberPairs, fb.numberPairs) > 0;
      if (keyed) continue;
      expect(isNearDuplicate(a, b), `${docs[i]!.id} vs ${docs[j]!.id}`).toBe(false);
      checked++;
    }
  });

  it('clusterItems (indexed candidates) equals a brute-force clusterer over every earlier article', () => {
    const sample = docs.filter((_, i) => i % 3 === 0);
    const items: ClusterInput<string>[] = sample.map((d) =>
      Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt }),
    );
    const order = [...items].sort((x, y) => x.publishedAt!.getTime() - y.publishedAt!.getTime());
    const brute = new Map<string, string>();
    order.forEach((cur, pos) => {
      let best: { id: string; distance: number } | null = null;
      for (const prev of order.slice(0, pos)) {
        if (cur.publishedAt!.getTime() - prev.publishedAt!.getTime() > DEFAULT_WINDOW_MS || !isNearDuplicate(cur, prev))
          continue;
        const distance = hamming(cur.simhash, prev.simhash);
        if (!best || distance < best.distance) best = { id: brute.get(prev.id)!, distance };
      }
      brute.set(cur.id, best?.id ?? cur.id);
    });
    expect(Object.fromEntries(clusterItems(items))).toEqual(Object.fromEntries(brute));
  });
});
