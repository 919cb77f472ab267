import { describe, expect, it } from 'vitest';
import { ANCHORS, containment, contextAgreement, fingerprint, intersectionSize } from './fingerprint.ts';
import { dedupKeys } from './keys.ts';
import { marketCloses, republished, rewritten } from './testdata/stories.ts';

const fpOf = (s: { title: string; text: string }) => fingerprint(s.title, s.text);
const [cpi, cpiCopy] = republished;
const paragraphs = cpi.text.split('\n\n');

describe('fingerprint', () => {
  it('keeps distinct shingle hashes in ascending order', () => {
    const f = fpOf(cpi);
    expect(f.shingles.length).toBeGreaterThan(100);
    for (let i = 1; i < f.shingles.length; i++) expect(f.shingles[i]!).toBeGreaterThan(f.shingles[i - 1]!);
  });

  it('anchors on whole sentences of eight tokens or more, the title included', () => {
    const f = fingerprint(
      '央行宣布下调存款准备金率0.25个百分点',
      '降准落地。中国人民银行决定下调金融机构存款准备金率。释放长期流动性约5000亿元！',
    );
    // The title and the two long sentences; "降准落地" has four tokens.
    expect(f.anchors).toHaveLength(3);
    const same = fingerprint('另一个标题', '中国人民银行决定下调金融机构存款准备金率。');
    expect(intersectionSize(f.anchors, same.anchors)).toBe(1);
    const long = fingerprint(
      '',
      Array.from({ length: 100 }, (_, i) => `这是第${i}个足够长的句子用来测试上限。`).join(''),
    );
    expect(long.anchors).toHaveLength(ANCHORS);
  });

  it('does not anchor on a sentence that only differs by its figures', () => {
    const a = fingerprint('', '上证指数收涨0.62%，报3386.25点。');
    const b = fingerprint('', '上证指数收涨0.35%，报3402.11点。');
    expect(intersectionSize(a.anchors, b.anchors)).toBe(0);
  });

  it('sees a trimmed repost as contained in its original, and shares an anchor with it', () => {
    const trimmed = fpOf({ title: cpi.title, text: paragraphs.slice(0, 2).join('\n\n') });
    const full = fpOf(cpi);
    expect(containment(trimmed, full)).toBe(1);
    expect(intersectionSize(trimmed.anchors, full.anchors)).toBeGreaterThan(0);
  });

  it('sees little containment between different stories', () => {
    expect(containment(fpOf(cpi), fpOf(rewritten[0]!))).toBeLessThan(0.1);
  });

  it('finds agreeing contexts in a copy and conflicting ones in two days of a template', () => {
    expect(contextAgreement(fpOf(cpi), fpOf(cpiCopy))).toEqual(expect.objectContaining({ conflict: 0 }));
    expect(contextAgreement(fpOf(cpi), fpOf(cpiCopy)).agree).toBeGreaterThanOrEqual(10);
    const days = contextAgreement(fpOf(marketCloses[0]), fpOf(marketCloses[1]));
    expect(days.conflict).toBeGreaterThan(days.agree);
  });

  it('derives number-pair keys from shared significant numbers', () => {
    const a = fpOf(rewritten[0]!);
    const b = fpOf(rewritten[1]!);
    expect(intersectionSize(a.numberPairs, b.numberPairs)).toBeGreaterThan(0);
    expect(intersectionSize(a.numberPairs, fpOf(cpi).numberPairs)).toBe(0);
    expect(fingerprint('无数字', '一段没有数字的文字').numberPairs).toHaveLength(0);
  });

  it('handles empty and tiny texts', () => {
    expect(fingerprint('', '').shingles).toHaveLength(0);
    expect(fingerprint('降准', '').shingles).toHaveLength(1);
  });
});

describe('dedup keys', () => {
  const f = fpOf(cpi);

  it('are distinct signed 32-bit integers, ascending: four bands, then one per anchor and number pair', () => {
    const keys = dedupKeys(f);
    expect(keys.length).toBe(4 + f.anchors.length + f.numberPairs.length);
    for (const k of keys) expect(k === (k | 0)).toBe(true);
    expect([...keys].sort((x, y) => x - y)).toEqual(keys);
  });

  it('are shared by a near-duplicate through every rule that can match it, and not by an unrelated text', () => {
    const repost = fpOf({ title: `【财联社】${cpi.title}`, text: cpi.text.split('\n\n').reverse().join('\n\n') });
    const mine = new Set(dedupKeys(f));
    expect(dedupKeys(repost).filter((k) => mine.has(k)).length).toBeGreaterThan(3);
    // One flipped SimHash bit changes one band: the other three bands still match.
    const flipped = { ...f, simhash: f.simhash ^ 1n, anchors: new Uint32Array(), numberPairs: new Uint32Array() };
    expect(dedupKeys(flipped).filter((k) => mine.has(k))).toHaveLength(3);
    const other = fpOf({
      title: '美联储维持利率不变',
      text: '美联储宣布将联邦基金利率目标区间维持在5.25%至5.5%之间，符合市场预期。',
    });
    expect(dedupKeys(other).filter((k) => mine.has(k))).toHaveLength(0);
  });
});
