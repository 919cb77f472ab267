import { describe, expect, it } from 'vitest';
import { ANCHORS, containment, contextAgreement, fingerprint, intersectionSize } from './fingerprint.ts';
import { KEY_BUCKET_MS, bucketOf, lookupKeys, storedKeys } from './keys.ts';
import { marketCloses, republished, rewritten } from './testdata/stories.ts';
import { prng } from './testdata/neardup/prng.ts';

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
    const f = fingerprint('央行宣布下调存款准备金率0.25个百分点', '降准落地。中国人民银行决定下调金融机构存款准备金率。释放长期流动性约5000亿元！');
    // The title and the two long sentences; "降准落地" has four tokens.
    expect(f.anchors).toHaveLength(3);
    const same = fingerprint('另一个标题', '中国人民银行决定下调金融机构存款准备金率。');
    expect(intersectionSize(f.anchors, same.anchors)).toBe(1);
    const long = fingerprint('', Array.from({ length: 100 }, (_, i) => `这是第${i}个足够长的句子用来测试上限。`).join(''));
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
  const t0 = Date.parse('2025-11-10T00:00:00Z');

  it('are signed 32-bit integers, one per anchor and number pair for a stored article', () => {
    const keys = storedKeys(f, new Date(t0));
    expect(keys.length).toBe(f.anchors.length + f.numberPairs.length);
    for (const k of keys) expect(k === (k | 0)).toBe(true);
  });

  it('let a lookup over [t − 72 h, t + 72 h] find every article of that range that shares an anchor', () => {
    const rand = prng(9);
    const window = 72 * 3_600_000;
    for (let n = 0; n < 500; n++) {
      const t = t0 + Math.floor(rand() * 30 * 86_400_000);
      const other = t + Math.floor((rand() * 2 - 1) * window);
      const look = new Set(lookupKeys(f, new Date(t - window), new Date(t + window)));
      expect(storedKeys(f, new Date(other)).every((k) => look.has(k))).toBe(true);
    }
  });

  it('differ between buckets (posting lists hold a few days each)', () => {
    const a = storedKeys(f, new Date(t0));
    const b = storedKeys(f, new Date(t0 + KEY_BUCKET_MS));
    expect(bucketOf(new Date(t0 + KEY_BUCKET_MS))).toBe(bucketOf(new Date(t0)) + 1);
    expect(a.filter((k) => b.includes(k))).toHaveLength(0);
  });
});
