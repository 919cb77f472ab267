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

const SALT_BIGRAM = 0x2f6b1c9d;
const SALT_LONE = 0x5e2d58d3;
const SALT_WORD = 0x1b873593;
const SALT_NUMBER = 0x68e31da4;
const SALT_LOW = 0x3c6ef372;

/**
 * Stable 64-bit hash of a named feature ("b:沪指", "b:报", "w:cpi", "n:0.62%") as two unsigned 32-bit
 * halves. A CJK bigram or a lone character is hashed from its code units directly, a word or a number
 * with FNV-1a over its text; the high half is MurmurHash3's finaliser of that, the low half the finaliser
 * of the high half (salted). Stored hashes depend on it: never change it without re-hashing every article.
 */
export function featureHash(feature: string): [number, number] {
  const kind = feature.slice(0, 2);
  const body = feature.slice(2);
  let h: number;
  if (kind === 'b:' && body.length === 2) h = fmix32(((body.charCodeAt(0) << 16) | body.charCodeAt(1)) ^ SALT_BIGRAM);
  else if (kind === 'b:' && body.length === 1) h = fmix32(body.charCodeAt(0) ^ SALT_LONE);
  else {
    let a = kind === 'n:' ? SALT_NUMBER : SALT_WORD;
    for (let i = 0; i < body.length; i++) a = Math.imul(a ^ body.charCodeAt(i), 0x01000193);
    h = fmix32(a ^ body.length);
  }
  return [h, fmix32(h ^ SALT_LOW)];
}

const NIBBLE = 0x11111111;
const counts = new Float64Array(64);

/** Adds the eight nibble counters of an accumulator to the counts of bits offset, offset + 4, … */
function unpack(acc: number, offset: number): void {
  for (let n = 0; n < 8; n++) counts[offset + n * 4]! += (acc >>> (n * 4)) & 15;
}

/**
 * SimHash of a text already prepared by `hashedText`, in one pass over its characters: each feature of
 * `features()` (CJK bigrams, a lone CJK character, Latin words of two letters or more, numbers with weight
 * 3) is hashed without building a string and added to nibble-packed counters — bit j of a hash half goes
 * to nibble j >> 2 of accumulator j & 3, eight counters per integer, flushed before a nibble can overflow.
 * Bit i of the result is set when more than half of the total weight has bit i set (the sign of the
 * ±weight sum of the SimHash definition).
 */
export function simhashOfHashedText(s: string): bigint {
  return simhashOfParts(s, '');
}

/**
 * The same over `${a}\n${b}` without building that string (`b` empty: `a` alone): a line break separates
 * tokens, so the two parts are scanned one after the other.
 */
function simhashOfParts(a: string, b: string): bigint {
  counts.fill(0);
  let l0 = 0;
  let l1 = 0;
  let l2 = 0;
  let l3 = 0;
  let h0 = 0;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let pending = 0;
  let total = 0;
  for (let part = 0; part < (b === '' ? 1 : 2); part++) {
    const s = part === 0 ? a : b;
    const n = s.length;
    let i = 0;
    let prev = -1; // the previous character when it was CJK and directly before this one
    let runLength = 0;
    for (;;) {
      // Find the next feature: its hash (high half) and weight, or stop.
      let hi = 0;
      let w = 0;
      if (i < n) {
        const c = s.charCodeAt(i);
        if ((c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) {
          if (prev >= 0) {
            hi = fmix32(((prev << 16) | c) ^ SALT_BIGRAM);
            w = 1;
          }
          prev = c;
          runLength++;
          i++;
        } else if (runLength === 1) {
          hi = fmix32(prev ^ SALT_LONE); // a lone CJK character is a feature of its own; `c` is read again next turn
          w = 1;
          runLength = 0;
          prev = -1;
        } else {
          runLength = 0;
          prev = -1;
          if (c >= 48 && c <= 57) {
            const end = scanNumber(s, i);
            let a = SALT_NUMBER;
            let len = 0;
            for (let j = i; j < end; j++) {
              const d = s.charCodeAt(j);
              if (d === 44 || d === 32) continue; // thousands separators and the space before a unit
              a = Math.imul(a ^ d, 0x01000193);
              len++;
            }
            hi = fmix32(a ^ len);
            w = NUMBER_WEIGHT;
            i = end;
          } else if (c >= 97 && c <= 122) {
            let a = SALT_WORD;
            let j = i;
            for (; j < n; j++) {
              const d = s.charCodeAt(j);
              if (d < 97 || d > 122) break;
              a = Math.imul(a ^ d, 0x01000193);
            }
            if (j - i >= 2) {
              hi = fmix32(a ^ (j - i));
              w = 1;
            }
            i = j;
          } else {
            i++;
          }
        }
      } else if (runLength === 1) {
        hi = fmix32(prev ^ SALT_LONE);
        w = 1;
        runLength = 0;
      } else {
        break;
      }
      if (w === 0) continue;
      const lo = fmix32(hi ^ SALT_LOW);
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
      }
      pending += w;
      total += w;
      // Added w times rather than multiplied: products could leave the small-integer range and slow V8 down.
      for (let k = 0; k < w; k++) {
        l0 += lo & NIBBLE;
        l1 += (lo >>> 1) & NIBBLE;
        l2 += (lo >>> 2) & NIBBLE;
        l3 += (lo >>> 3) & NIBBLE;
        h0 += hi & NIBBLE;
        h1 += (hi >>> 1) & NIBBLE;
        h2 += (hi >>> 2) & NIBBLE;
        h3 += (hi >>> 3) & NIBBLE;
      }
    }
  }
  unpack(l0, 0);
  unpack(l1, 1);
  unpack(l2, 2);
  unpack(l3, 3);
  unpack(h0, 32);
  unpack(h1, 33);
  unpack(h2, 34);
  unpack(h3, 35);
  let lo = 0;
  let hi = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (2 * counts[bit]! > total) lo |= 1 << bit;
    if (2 * counts[bit + 32]! > total) hi |= 1 << bit;
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * SimHash of a document (title and text, reposting boilerplate removed).
 *
 * @example toHex(simhash('央行降准0.25个百分点', '中国人民银行宣布…')) // 16 hex digits
 */
export function simhash(title: string, text: string): bigint {
  const story = storyText(title, text);
  return simhashOfParts(story.title, story.text);
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

/** Set bits of an unsigned 32-bit value. */
export function popcount32(x: number): number {
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
