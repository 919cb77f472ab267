/**
 * 64-bit SimHash over Chinese-aware features of the story text (`storyText`: reposting boilerplate
 * removed): CJK character bigrams, Latin words and numbers. Numbers get extra weight so that two days'
 * reports written from one template ("沪指收涨0.62%报3386.25点") land far apart. Values are unsigned
 * bigints; PostgreSQL stores them signed (`toSigned64`).
 *
 * The hot path hashes features without building strings and adds them into bit-sliced counters (one
 * 64-bit plane per bit of the count) instead of looping over 64 bits per feature.
 */
import { CJK as CJK_KIND, NUM as NUM_KIND, WORD as WORD_KIND, numberText, scanNumber, tokenize } from './features.ts';
import { storyText } from './normalize.ts';

/** Weight of one number occurrence relative to one word or bigram. */
export const NUMBER_WEIGHT = 3;

// Module-local copies: imported bindings can compile to getters, too slow for the inner loop.
const CJK = CJK_KIND;
const NUM = NUM_KIND;
const WORD = WORD_KIND;

/** The story text SimHash reads: normalised title and text without reposting boilerplate, one line apart. */
export function hashedText(title: string, text: string): string {
  const story = storyText(title, text);
  return `${story.title}\n${story.text}`;
}

/**
 * The weighted features of a document, by name: the slow, readable definition of what `simhash` hashes
 * (for tests and diagnostics).
 */
export function features(title: string, text: string): Map<string, number> {
  const s = hashedText(title, text);
  const t = tokenize(s);
  const out = new Map<string, number>();
  const add = (f: string, w: number) => out.set(f, (out.get(f) ?? 0) + w);
  for (let i = 0; i < t.count; i++) {
    const kind = t.kind[i]!;
    if (kind === NUM) add(`n:${numberText(s, t.start[i]!, t.end[i]!)}`, NUMBER_WEIGHT);
    else if (kind === WORD) {
      if (t.end[i]! - t.start[i]! >= 2) add(`w:${s.slice(t.start[i]!, t.end[i]!)}`, 1);
    } else {
      const prevCjk = i > 0 && t.joined[i] === 1 && t.kind[i - 1] === CJK;
      const nextCjk = i + 1 < t.count && t.joined[i + 1] === 1 && t.kind[i + 1] === CJK;
      if (prevCjk) add(`b:${s.slice(t.start[i - 1]!, t.end[i]!)}`, 1);
      else if (!nextCjk) add(`b:${s[t.start[i]!]}`, 1);
    }
  }
  return out;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const FNV_A = 0x811c9dc5;
const FNV_B = 0x9747b28c;
const PRIME_A = 0x01000193;
const PRIME_B = 0x5bd1e995;

/**
 * Stable 64-bit hash of a feature as two unsigned 32-bit halves: two FNV-style passes over the UTF-16
 * code units with different primes, each finished with MurmurHash3's avalanche. Stored hashes depend on
 * it: never change it without re-hashing every article.
 */
export function featureHash(feature: string): [number, number] {
  let a = FNV_A;
  let b = FNV_B;
  for (let i = 0; i < feature.length; i++) {
    const c = feature.charCodeAt(i);
    a = Math.imul(a ^ c, PRIME_A);
    b = Math.imul(b ^ c, PRIME_B);
  }
  const hi = fmix32(a ^ feature.length);
  return [hi, fmix32(b ^ hi)];
}

/** FNV states after a two-character prefix ("b:", "n:", "w:"). */
function prefixState(prefix: string): [number, number] {
  let a = FNV_A;
  let b = FNV_B;
  for (let i = 0; i < prefix.length; i++) {
    a = Math.imul(a ^ prefix.charCodeAt(i), PRIME_A);
    b = Math.imul(b ^ prefix.charCodeAt(i), PRIME_B);
  }
  return [a, b];
}
const [B_A, B_B] = prefixState('b:');
const [N_A, N_B] = prefixState('n:');
const [W_A, W_B] = prefixState('w:');

/** Feature hashes of the current document (grown on demand), then summed bit by bit in one tight loop. */
let featHi = new Int32Array(4096);
let featLo = new Int32Array(4096);
let featWeight = new Uint8Array(4096);
let featCount = 0;

function emit(a: number, b: number, len: number, weight: number): void {
  if (featCount === featHi.length) {
    const grow = <T extends Int32Array | Uint8Array>(arr: T, make: (n: number) => T): T => {
      const next = make(arr.length * 2);
      next.set(arr);
      return next;
    };
    featHi = grow(featHi, (n) => new Int32Array(n));
    featLo = grow(featLo, (n) => new Int32Array(n));
    featWeight = grow(featWeight, (n) => new Uint8Array(n));
  }
  const hi = fmix32(a ^ len);
  featHi[featCount] = hi;
  featLo[featCount] = fmix32(b ^ hi);
  featWeight[featCount] = weight;
  featCount++;
}

const NIBBLE = 0x11111111;
const counts = new Float64Array(64);

/** Adds the eight nibble counters of an accumulator to the counts of bits offset, offset + 4, … */
function unpack(acc: number, offset: number): void {
  for (let n = 0; n < 8; n++) counts[offset + n * 4]! += (acc >>> (n * 4)) & 15;
}

/**
 * The SimHash of the collected features: bit i is set when more than half of the total weight has bit i
 * set (the sign of the ±weight sum). Counts are nibble-packed — bit j of a hash word goes to nibble j >> 2
 * of accumulator j & 3, eight counters per integer — and flushed before a nibble can overflow: a handful
 * of operations per feature instead of 64.
 */
function sumFeatures(): bigint {
  counts.fill(0);
  let l0 = 0; let l1 = 0; let l2 = 0; let l3 = 0;
  let h0 = 0; let h1 = 0; let h2 = 0; let h3 = 0;
  let pending = 0;
  let total = 0;
  for (let f = 0; f <= featCount; f++) {
    const w = f < featCount ? featWeight[f]! : 16; // the sentinel forces the last flush
    if (pending + w > 15) {
      unpack(l0, 0);
      unpack(l1, 1);
      unpack(l2, 2);
      unpack(l3, 3);
      unpack(h0, 32);
      unpack(h1, 33);
      unpack(h2, 34);
      unpack(h3, 35);
      l0 = l1 = l2 = l3 = h0 = h1 = h2 = h3 = 0;
      pending = 0;
      if (f === featCount) break;
    }
    const lo = featLo[f]!;
    const hi = featHi[f]!;
    pending += w;
    total += w;
    l0 += (lo & NIBBLE) * w;
    l1 += ((lo >>> 1) & NIBBLE) * w;
    l2 += ((lo >>> 2) & NIBBLE) * w;
    l3 += ((lo >>> 3) & NIBBLE) * w;
    h0 += (hi & NIBBLE) * w;
    h1 += ((hi >>> 1) & NIBBLE) * w;
    h2 += ((hi >>> 2) & NIBBLE) * w;
    h3 += ((hi >>> 3) & NIBBLE) * w;
  }
  let lo = 0;
  let hi = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (2 * counts[bit]! > total) lo |= 1 << bit;
    if (2 * counts[bit + 32]! > total) hi |= 1 << bit;
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * SimHash of a text already prepared by `hashedText`: one pass over the characters, emitting exactly the
 * features of `features()` (CJK bigrams, a lone CJK character, Latin words of two letters or more, numbers
 * with weight 3) without building strings.
 */
export function simhashOfHashedText(s: string): bigint {
  featCount = 0;
  let prev = -1; // the previous character when it was CJK and directly before this one
  let runLength = 0;
  const n = s.length;
  let i = 0;
  while (i <= n) {
    const c = i < n ? s.charCodeAt(i) : 0;
    if ((c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) {
      if (prev >= 0) emit(Math.imul(Math.imul(B_A ^ prev, PRIME_A) ^ c, PRIME_A), Math.imul(Math.imul(B_B ^ prev, PRIME_B) ^ c, PRIME_B), 4, 1);
      prev = c;
      runLength++;
      i++;
      continue;
    }
    // A lone CJK character is a feature of its own.
    if (runLength === 1) emit(Math.imul(B_A ^ prev, PRIME_A), Math.imul(B_B ^ prev, PRIME_B), 3, 1);
    prev = -1;
    runLength = 0;
    if (i === n) break;
    if (c >= 48 && c <= 57) {
      const end = scanNumber(s, i);
      let a = N_A;
      let b = N_B;
      let len = 2;
      for (let j = i; j < end; j++) {
        const d = s.charCodeAt(j);
        if (d === 44 || d === 32) continue; // thousands separators and the space before a unit
        a = Math.imul(a ^ d, PRIME_A);
        b = Math.imul(b ^ d, PRIME_B);
        len++;
      }
      emit(a, b, len, NUMBER_WEIGHT);
      i = end;
    } else if (c >= 97 && c <= 122) {
      let a = Math.imul(W_A ^ c, PRIME_A);
      let b = Math.imul(W_B ^ c, PRIME_B);
      let j = i + 1;
      for (; j < n; j++) {
        const d = s.charCodeAt(j);
        if (d < 97 || d > 122) break;
        a = Math.imul(a ^ d, PRIME_A);
        b = Math.imul(b ^ d, PRIME_B);
      }
      if (j - i >= 2) emit(a, b, 2 + j - i, 1);
      i = j;
    } else {
      i++;
    }
  }
  return sumFeatures();
}

/**
 * SimHash of a document (title and text, reposting boilerplate removed).
 *
 * @example toHex(simhash('央行降准0.25个百分点', '中国人民银行宣布…')) // 16 hex digits
 */
export function simhash(title: string, text: string): bigint {
  return simhashOfHashedText(hashedText(title, text));
}

/** The SimHash of named, weighted features computed the slow way; `simhash` always agrees with it. */
export function simhashOfFeatures(weighted: Map<string, number>): bigint {
  const v = new Float64Array(64);
  for (const [feature, weight] of weighted) {
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
