import { describe, expect, it } from 'vitest';
import { clusterItems, dedupDoc, dedupNumbers, explainNearDuplicate, isNearDuplicate } from './cluster.ts';
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
    { name: "another battery maker's results", a: rewritten[0]!, b: unrelated[0]!, expected: false },
    { name: "a rewrite vs the other maker's results", a: rewritten[1]!, b: unrelated[0]!, expected: false },
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
    expect(
      [...dedupNumbers('沪指收涨0.62%', '报3386.25点，成交1.2万亿元，涨幅5%，2025年11月10日，600519，10家')].sort(),
    ).toEqual(['0.62%', '1.2万亿', '3386.25', '600519']);
  });
});

describe('explainNearDuplicate: the rule that decides', () => {
  const [cpi, cpiCopy] = republished;
  const paragraphs = cpi.text.split('\n\n');
  const d = (title: string, text: string) => dedupDoc(title, text);
  it.each([
    {
      name: 'a copy with a lead and a tail',
      a: d(cpi.title, cpi.text),
      b: d(`【财联社】${cpi.title}`, `财联社11月10日电，${cpi.text}\n\n责任编辑：王敏`),
      verdict: 'hash',
    },
    {
      name: 'the first two paragraphs only',
      a: d(cpi.title, cpi.text),
      b: d('统计局：CPI温和回升', paragraphs.slice(0, 2).join('\n\n')),
      verdict: 'containment',
    },
    {
      name: 'paragraphs in another order',
      a: d(cpi.title, cpi.text),
      b: d(cpi.title, [...paragraphs].reverse().join('\n\n')),
      verdict: 'hash',
    },
    {
      name: "an outlet's rewrite",
      a: d(rewritten[0]!.title, rewritten[0]!.text),
      b: d(rewritten[1]!.title, rewritten[1]!.text),
      verdict: 'numbers',
    },
    {
      name: 'two days of a template',
      a: d(marketCloses[0].title, marketCloses[0].text),
      b: d(marketCloses[1].title, marketCloses[1].text),
      verdict: 'veto-numbers',
    },
    {
      name: "another maker's results",
      a: d(rewritten[0]!.title, rewritten[0]!.text),
      b: d(unrelated[0]!.title, unrelated[0]!.text),
      verdict: 'veto-numbers',
    },
    {
      name: 'unrelated stories',
      a: d(unrelated[1]!.title, unrelated[1]!.text),
      b: d(unrelated[2]!.title, unrelated[2]!.text),
      verdict: 'different',
    },
    {
      name: 'a republished copy with a note (stripped)',
      a: d(cpi.title, cpi.text),
      b: d(cpiCopy.title, cpiCopy.text),
      verdict: 'hash',
    },
  ])('$name → $verdict', ({ a, b, verdict }) => {
    expect(explainNearDuplicate(a, b)).toBe(verdict);
    expect(explainNearDuplicate(b, a)).toBe(verdict);
  });

  it("vetoes a sentence-for-sentence copy whose figures are another day's (the context veto)", () => {
    const comment = '分析人士认为，美元指数回落是中间价调升的主要原因，人民币汇率在合理均衡水平上保持基本稳定。';
    const day1 = d(
      '人民币中间价报7.0856',
      `中国外汇交易中心数据显示，人民币对美元汇率中间价报7.0856，较上一交易日调升52个基点，在岸人民币收盘报7.0912。\n\n${comment}`,
    );
    const day2 = d(
      '人民币中间价报7.0788',
      `中国外汇交易中心数据显示，人民币对美元汇率中间价报7.0788，较上一交易日调升68个基点，在岸人民币收盘报7.0835。\n\n${comment}`,
    );
    expect(explainNearDuplicate(day1, day2)).toBe('veto-contexts');
    expect(isNearDuplicate(day1, day2, { contextVeto: false })).toBe(true);
  });
});

describe('dedupDoc', () => {
  it('carries the SimHash of its own text and reuses a given fingerprint', () => {
    const doc = dedupDoc(republished[0].title, republished[0].text);
    expect(doc.simhash).toBe(simhash(republished[0].title, republished[0].text));
  });
});

describe('clusterItems', () => {
  const item = (id: string, s: Story, hours: number | null): ClusterInput<string> => ({
    id,
    ...doc(s),
    publishedAt: hours === null ? null : at(hours),
  });

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
      'rw-a': 'rw-a',
      'rw-b': 'rw-a',
      'rw-c': 'rw-a',
      cpi: 'cpi',
      'cpi-copy': 'cpi',
      'close-1': 'close-1',
      'close-2': 'close-2',
      eve: 'eve',
      fed: 'fed',
    });
  });

  it('does not join articles further apart than the window', () => {
    const clusters = clusterItems([item('a', republished[0], 0), item('b', republished[1], 80)]);
    expect(clusters.get('b')).toBe('b');
    const wide = clusterItems([item('a', republished[0], 0), item('b', republished[1], 80)], {
      windowMs: 96 * 3_600_000,
    });
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
