/**
 * 64-bit SimHash over Chinese-aware features: CJK character bigrams, jieba words and numbers. Numbers get
 * extra weight so that two days' reports written from one template ("沪指收涨0.62%报3386.25点") land far
 * apart. Values are unsigned bigints; PostgreSQL stores them signed (`toSigned64`).
 */
import { cjkBigrams, normalizeText, numberTokens, withoutNumbers, words } from './features.ts';

/** Weight of one number occurrence relative to one word or bigram. */
export const NUMBER_WEIGHT = 3;

/** The weighted features of a document (exported for tests and diagnostics). */
export function features(title: string, text: string): Map<string, number> {
  const norm = normalizeText(`${title}\n${text}`);
  const out = new Map<string, number>();
  const add = (f: string, w: number) => out.set(f, (out.get(f) ?? 0) + w);
  for (const n of numberTokens(norm)) add(`n:${n}`, NUMBER_WEIGHT);
  const rest = withoutNumbers(norm);
  for (const b of cjkBigrams(rest)) add(`b:${b}`, 1);
  for (const w of words(rest)) add(`w:${w}`, 1);
  return out;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Stable 64-bit hash of a feature as two unsigned 32-bit halves: two FNV-style passes over the UTF-16
 * code units with different primes, each finished with MurmurHash3's avalanche. ~30× faster than MD5
 * here. Stored hashes depend on it: never change it without re-hashing every article.
 */
export function featureHash(feature: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < feature.length; i++) {
    const c = feature.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const hi = fmix32(a ^ feature.length);
  return [hi, fmix32(b ^ hi)];
}

/**
 * SimHash of a document.
 *
 * @example toHex(simhash('央行降准0.25个百分点', '中国人民银行宣布…')) // 16 hex digits
 */
export function simhash(title: string, text: string): bigint {
  const v = new Float64Array(64);
  for (const [feature, weight] of features(title, text)) {
    const [hi, lo] = featureHash(feature);
    for (let i = 0; i < 32; i++) {
      v[i]! += (lo >>> i) & 1 ? weight : -weight;
      v[i + 32]! += (hi >>> i) & 1 ? weight : -weight;
    }
  }
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 32; i++) {
    if (v[i]! > 0) lo |= 1 << i;
    if (v[i + 32]! > 0) hi |= 1 << i;
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function popcount32(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of differing bits between two 64-bit hashes (signed or unsigned forms both work). */
export function hamming(a: bigint, b: bigint): number {
  const x = BigInt.asUintN(64, a ^ b);
  return popcount32(Number(x & 0xffffffffn)) + popcount32(Number(x >> 32n));
}

/** The value PostgreSQL's signed `bigint` can store. */
export function toSigned64(h: bigint): bigint {
  return BigInt.asIntN(64, h);
}

/** Back from the stored signed value (pg returns int8 as a string). */
export function fromSigned64(v: bigint | string | number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

/**
 * Four 16-bit bands, most significant first: two hashes within Hamming distance 3 share at least one
 * band, so an index on the four columns finds every candidate.
 */
export function bands(h: bigint): [number, number, number, number] {
  const u = BigInt.asUintN(64, h);
  return [48n, 32n, 16n, 0n].map((s) => Number((u >> s) & 0xffffn)) as [number, number, number, number];
}

/** 16 lower-case hex digits. */
export function toHex(h: bigint): string {
  return BigInt.asUintN(64, h).toString(16).padStart(16, '0');
}

/** Inverse of `toHex`. */
export function fromHex(hex: string): bigint {
  if (!/^[0-9a-f]{1,16}$/i.test(hex)) throw new RangeError(`not a 64-bit hex simhash: ${hex}`);
  return BigInt(`0x${hex}`);
}
