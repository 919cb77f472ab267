import { describe, expect, it } from 'vitest';
import { clusterItems, dedupNumbers, isNearDuplicate } from './cluster.ts';
import type { ClusterInput, DedupDoc } from './cluster.ts';
import { simhash } from './simhash.ts';
import { marketCloses, republished, rewritten, unrelated } from './testdata/stories.ts';
import type { Story } from './testdata/stories.ts';

const doc = (s: Story): DedupDoc => ({ simhash: simhash(s.title, s.text), title: s.title, text: s.text });
const t0 = Date.parse('2025-11-10T00:00:00Z');
const at = (hours: number) => new Date(t0 + hours * 3_600_000);

describe('isNearDuplicate', () => {
  it.each([
    { name: 'a republished copy', a: republished[0], b: republished[1], expected: true },
    { name: 'outlet rewrite 1 vs 2', a: rewritten[0]!, b: rewritten[1]!, expected: true },
    { name: 'outlet rewrite 1 vs the short brief', a: rewritten[0]!, b: rewritten[2]!, expected: true },
    { name: 'outlet rewrite 2 vs the short brief', a: rewritten[1]!, b: rewritten[2]!, expected: true },
    { name: 'two days of the market-close template', a: marketCloses[0], b: marketCloses[1], expected: false },
    { name: 'another battery maker\'s results', a: rewritten[0]!, b: unrelated[0]!, expected: false },
    { name: 'a rewrite vs the other maker\'s results', a: rewritten[1]!, b: unrelated[0]!, expected: false },
    { name: 'CPI vs a market close', a: republished[0], b: marketCloses[0], expected: false },
    { name: 'a policy story vs the Fed', a: unrelated[1]!, b: unrelated[2]!, expected: false },
  ])('$name → $expected', ({ a, b, expected }) => {
    expect(isNearDuplicate(doc(a), doc(b))).toBe(expected);
    expect(isNearDuplicate(doc(b), doc(a))).toBe(expected);
  });

  it('treats a number-less copy as a duplicate through the hash alone (rule 2)', () => {
    const s = unrelated[2]!;
    expect(dedupNumbers(s.title, s.text).size).toBe(0);
    expect(isNearDuplicate(doc(s), doc({ title: ` ${s.title}`, text: s.text.replace(/。/g, '；') }))).toBe(true);
  });

  it('vetoes even a close hash when the figures disagree', () => {
    const [a, b] = [doc(marketCloses[0]), doc(marketCloses[1])];
    // Pretend the hashes collided: the template veto still keeps two days apart.
    expect(isNearDuplicate(a, { ...b, simhash: a.simhash })).toBe(false);
  });

  it('respects a stricter threshold from the options', () => {
    const [a, b] = [doc(rewritten[0]!), doc(rewritten[1]!)];
    expect(isNearDuplicate(a, b, { maxHammingShared3: 5 })).toBe(false);
  });

  it('reads significant numbers: decimals, units, non-round percentages, large non-year integers', () => {
    expect([...dedupNumbers('沪指收涨0.62%', '报3386.25点，成交1.2万亿元，涨幅5%，2025年11月10日，600519，10家')].sort())
      .toEqual(['0.62%', '1.2万亿', '3386.25', '600519']);
  });
});

describe('clusterItems', () => {
  const item = (id: string, s: Story, hours: number | null): ClusterInput<string> => ({ id, ...doc(s), publishedAt: hours === null ? null : at(hours) });

  it('groups stories, with the earliest article as the representative', () => {
    const items = [
      item('rw-b', rewritten[1]!, 5),
      item('close-1', marketCloses[0], 7),
      item('rw-a', rewritten[0]!, 2),
      item('cpi-copy', republished[1], 9),
      item('rw-c', rewritten[2]!, 3),
      item('cpi', republished[0], 1),
      item('close-2', marketCloses[1], 31),
      item('eve', unrelated[0]!, 4),
      item('fed', unrelated[1]!, 4),
    ];
    const clusters = clusterItems(items);
    expect(Object.fromEntries(clusters)).toEqual({
      'rw-a': 'rw-a', 'rw-b': 'rw-a', 'rw-c': 'rw-a',
      cpi: 'cpi', 'cpi-copy': 'cpi',
      'close-1': 'close-1', 'close-2': 'close-2',
      eve: 'eve', fed: 'fed',
    });
  });

  it('does not join articles further apart than the window', () => {
    const clusters = clusterItems([item('a', republished[0], 0), item('b', republished[1], 80)]);
    expect(clusters.get('b')).toBe('b');
    const wide = clusterItems([item('a', republished[0], 0), item('b', republished[1], 80)], { windowMs: 96 * 3_600_000 });
    expect(wide.get('b')).toBe('a');
  });

  it('puts undated articles last and lets them match any story', () => {
    const clusters = clusterItems([item('undated', republished[1], null), item('dated', republished[0], 10)]);
    expect(Object.fromEntries(clusters)).toEqual({ dated: 'dated', undated: 'dated' });
  });

  it('is stable for equal timestamps (input order decides)', () => {
    const clusters = clusterItems([item('x', republished[0], 1), item('y', republished[1], 1)]);
    expect(clusters.get('y')).toBe('x');
  });
});
