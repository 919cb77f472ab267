/**
 * The compact reading of a pair (`explainCompact` on `CompactDoc`s, numbers as codes) decides exactly like the
 * string reading (`explainNearDuplicate` on fingerprints), and a document survives a `FeatureBatch` unchanged.
 */
import { describe, expect, it } from 'vitest';
import { dedupDoc, explainCompact, explainNearDuplicate, fingerprintOf } from './cluster.ts';
import type { DedupDoc } from './cluster.ts';
import { batchDocs, compactOf, featureBatch, numberCode, sameNumber, sharedNumbers } from './feature-batch.ts';
import type { CompactDoc } from './feature-batch.ts';
import { buildNearDupSet } from './testdata/neardup/index.ts';
import { prng } from './testdata/neardup/prng.ts';
import { templatedReports } from './testdata/templated.ts';

describe('numberCode', () => {
  it('is equal exactly for equal number texts (separators skipped), and -1 beyond 13 symbols', () => {
    const texts = [
      '0',
      '00',
      '1',
      '10',
      '01',
      '1.5',
      '15',
      '1.50',
      '5%',
      '50%',
      '3386.25',
      '1.2万亿',
      '12万',
      '7千',
      '3亿',
    ];
    const codes = texts.map((t) => numberCode(t));
    expect(new Set(codes).size).toBe(texts.length);
    for (const c of codes) expect(c).toBeGreaterThanOrEqual(0);
    expect(numberCode('3,386.25')).toBe(numberCode('3386.25'));
    expect(numberCode('9999999999999')).toBeLessThan(2 ** 53);
    expect(numberCode('12345678901234')).toBe(-1);
    expect(numberCode('12a')).toBe(-1);
    // Generated texts: codes collide only when the texts are equal.
    const rand = prng(11);
    const seen = new Map<number, string>();
    const syms = '0123456789.%万亿千';
    for (let i = 0; i < 20_000; i++) {
      let t = '';
      const n = 1 + Math.floor(rand() * 13);
      for (let k = 0; k < n; k++) t += syms[Math.floor(rand() * syms.length)];
      const c = numberCode(t);
      expect(seen.get(c) ?? t).toBe(t);
      seen.set(c, t);
    }
  });
});

describe('CompactDoc', () => {
  it('compares numbers too long for a code by their text', () => {
    const long = '123456789012345';
    const a = compactOf(fingerprintOf(dedupDoc('t', `营收${long}元，利润12.5亿元，增长7.25%`)), 'a', 0);
    const b = compactOf(fingerprintOf(dedupDoc('t', `营收${long}元，利润12.5亿元，增长3.5%`)), 'b', 0);
    expect(a.long).toEqual([long]);
    expect(sharedNumbers(a, b)).toBe(2);
    expect(sameNumber(a, a.numbers[0]!, b, b.numbers[0]!)).toBe(true);
  });

  it('is the same after a trip through a FeatureBatch', () => {
    const docs = templatedReports(50, { repostShare: 0.2 }).map((d, i) =>
      compactOf(fingerprintOf(dedupDoc(d.title, d.text)), d.id, i % 7 === 0 ? Infinity : d.publishedAt.getTime()),
    );
    const back = batchDocs(
      featureBatch(docs),
      docs.map((d) => d.id),
      Float64Array.from(docs, (d) => d.at),
    );
    expect(back).toEqual(docs);
  });
});

describe('explainCompact', () => {
  const verdicts = (docs: DedupDoc[], pairs: [number, number][]) => {
    const compact: CompactDoc<number>[] = docs.map((d, i) => compactOf(fingerprintOf(d), i, 0, d.simhash));
    let differ = 0;
    const byVerdict = new Map<string, number>();
    for (const [i, j] of pairs) {
      const v = explainNearDuplicate(docs[i]!, docs[j]!);
      if (explainCompact(compact[i]!, compact[j]!) !== v) differ++;
      byVerdict.set(v, (byVerdict.get(v) ?? 0) + 1);
    }
    return { differ, byVerdict };
  };

  it('gives the verdict of explainNearDuplicate on every rule (evaluation set: pairs of a story and random pairs)', () => {
    const set = buildNearDupSet();
    const docs = set.map((d) => dedupDoc(d.title, d.text));
    const byBase = new Map<string, number[]>();
    set.forEach((d, i) => {
      const base = d.id.split('~')[0]!;
      byBase.set(base, [...(byBase.get(base) ?? []), i]);
    });
    const pairs: [number, number][] = [];
    for (const group of byBase.values()) for (const i of group) for (const j of group) if (i !== j) pairs.push([i, j]);
    const rand = prng(5);
    for (let k = 0; k < 20_000; k++) pairs.push([Math.floor(rand() * docs.length), Math.floor(rand() * docs.length)]);
    const { differ, byVerdict } = verdicts(docs, pairs);
    expect(differ).toBe(0);
    // Every rule decided some pair, so each was compared.
    for (const v of ['veto-numbers', 'veto-contexts', 'hash', 'containment', 'numbers', 'different'])
      expect(byVerdict.get(v) ?? 0).toBeGreaterThan(0);
  });

  it('gives the verdict of explainNearDuplicate on templated reports and their reposts', () => {
    const docs = templatedReports(600, { repostShare: 0.2 }).map((d) => dedupDoc(d.title, d.text));
    const pairs: [number, number][] = [];
    for (let i = 0; i < docs.length; i++) for (let j = Math.max(0, i - 40); j < i; j++) pairs.push([i, j]);
    expect(verdicts(docs, pairs).differ).toBe(0);
  });
});
