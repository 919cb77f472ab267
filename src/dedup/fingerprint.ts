/**
 * Everything the near-duplicate decision and the index read of one article, computed once from its title
 * and text: the SimHash, the significant numbers, each number's context (for the template veto), the set
 * of text shingles (for containment), and the index keys that guarantee the candidates of every rule.
 */
import { NUM as NUM_KIND, isSignificantNumber, numberText, tokenize } from './features.ts';
import { hashedText, simhashOfHashedText } from './simhash.ts';

// A module-local copy: imported bindings can compile to getters, too slow in loops.
const NUM = NUM_KIND;

/** Tokens per shingle (a CJK character, a Latin word or a number is one token). */
export const SHINGLE_TOKENS = 4;
/**
 * Anchors are whole sentences (title included) of at least this many tokens: a repost keeps most of its
 * original's sentences verbatim, while different stories almost never share one — unlike short shingles
 * ("同比增长", "有限公司"), which thousands of articles a day share and which would flood the index.
 */
export const ANCHOR_MIN_TOKENS = 8;
/** At most this many anchors per document: those with the smallest hashes (a bottom-k sketch). */
export const ANCHORS = 32;
/** Significant numbers (those with the smallest hashes) whose pairs become index keys. */
export const PAIR_NUMBERS = 6;

export interface Fingerprint {
  simhash: bigint;
  /** Significant numbers (see `isSignificantNumber`). */
  numbers: Set<string>;
  /**
   * Contexts (hash of the two tokens before a number) and the numbers written there: `keys` ascending,
   * `values[i]` written after `keys[i]` (one pair per occurrence). Two flat arrays rather than a Set per
   * context: a fingerprint is kept for the whole run, and thousands of small Sets were most of what the
   * garbage collector copied.
   */
  contexts: { keys: Uint32Array; values: string[] };
  /** Distinct shingle hashes, ascending (unsigned 32-bit). */
  shingles: Uint32Array;
  /** Hashes of the sentences of `ANCHOR_MIN_TOKENS` tokens or more, ascending, at most `ANCHORS`. */
  anchors: Uint32Array;
  /** Hashes of the pairs among the `PAIR_NUMBERS` significant numbers with the smallest hashes, ascending. */
  numberPairs: Uint32Array;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a of a string, avalanched: the hash of a number for pair keys. */
function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Whether the gap between two tokens holds a sentence end: 。！？；!?; or a line break. */
function endsSentence(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff1b || c === 33 || c === 63 || c === 59 || c === 10)
      return true;
  }
  return false;
}

/** Contexts of a document sorted by packing (key, position) into one double: positions below 2^21. */
const CONTEXT_SLOTS = 2 ** 21;

const pairKey = (x: number, y: number) => fmix32(Math.imul(x, 0x9e3779b1) ^ y ^ 0x5bd1e995);

/** Distinct values, ascending. */
function sortedUnique(values: Uint32Array): Uint32Array {
  if (values.length === 0) return values;
  values.sort();
  let n = 1;
  for (let i = 1; i < values.length; i++) if (values[i] !== values[n - 1]) values[n++] = values[i]!;
  return values.slice(0, n);
}

// Scratch space reused between documents: a fingerprint allocates only the arrays it keeps (thousands of
// short-lived ArrayBuffers per second were a large part of `finrep dedup`'s garbage collection).
let scratch = new Uint32Array(4096);
let spare = new Uint32Array(4096);
const radixCounts = new Int32Array(4 * 256);

/** `scratch` (and `spare`) with room for `n` values, contents not kept. */
function room(n: number): void {
  if (scratch.length >= n) return;
  scratch = new Uint32Array(n + 1024);
  spare = new Uint32Array(n + 1024);
}

/**
 * The distinct values among `scratch[0, n)`, ascending, at most `limit`, in a new array: an LSD radix sort
 * (four 8-bit passes, `scratch` → `spare` → `scratch`) for long inputs, the built-in sort for short ones.
 * Same result as `sortedUnique`; `scratch` is left sorted.
 */
function sortedUniqueScratch(n: number, limit = Number.POSITIVE_INFINITY): Uint32Array {
  if (n === 0) return new Uint32Array(0);
  if (n < 128) scratch.subarray(0, n).sort();
  else {
    const c = radixCounts;
    c.fill(0);
    for (let i = 0; i < n; i++) {
      const v = scratch[i]!;
      c[v & 255]!++;
      c[256 + ((v >>> 8) & 255)]!++;
      c[512 + ((v >>> 16) & 255)]!++;
      c[768 + (v >>> 24)]!++;
    }
    for (let pass = 0; pass < 4; pass++) {
      const base = pass * 256;
      let sum = 0;
      for (let b = 0; b < 256; b++) {
        const k = c[base + b]!;
        c[base + b] = sum;
        sum += k;
      }
      const from = pass % 2 === 0 ? scratch : spare;
      const to = pass % 2 === 0 ? spare : scratch;
      const shift = pass * 8;
      for (let i = 0; i < n; i++) {
        const v = from[i]!;
        to[c[base + ((v >>> shift) & 255)]!++] = v;
      }
    }
  }
  let distinct = 1;
  for (let i = 1; i < n && distinct < limit; i++) if (scratch[i] !== scratch[i - 1]) distinct++;
  const out = new Uint32Array(distinct);
  out[0] = scratch[0]!;
  for (let i = 1, j = 1; j < distinct; i++) if (scratch[i] !== scratch[i - 1]) out[j++] = scratch[i]!;
  return out;
}

/**
 * The fingerprint of an article.
 *
 * @example fingerprint('央行降准0.25个百分点', '中国人民银行决定…').simhash
 */
export function fingerprint(title: string, text: string): Fingerprint {
  const s = hashedText(title, text);
  const simhash = simhashOfHashedText(s);
  const t = tokenize(s);
  const n = t.count;

  const rawCount = Math.max(0, n - SHINGLE_TOKENS + 1) || (n > 0 ? 1 : 0);
  room(Math.max(rawCount, n));
  for (let i = 0; i < rawCount; i++) {
    let h = 0x27d4eb2f;
    const to = Math.min(n, i + SHINGLE_TOKENS);
    for (let k = i; k < to; k++) h = Math.imul(h ^ t.value[k]!, 0x01000193) ^ t.kind[k]!;
    scratch[i] = fmix32(h);
  }
  const shingles = sortedUniqueScratch(rawCount);

  // Sentences end at 。！？；!?; or a line break (the title is a line of its own).
  let sentences = 0;
  let h = 0x165667b1;
  let length = 0;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ t.value[i]!, 0x01000193) ^ t.kind[i]!;
    length++;
    if (i + 1 === n || endsSentence(s, t.end[i]!, t.start[i + 1]!)) {
      if (length >= ANCHOR_MIN_TOKENS) scratch[sentences++] = fmix32(h);
      h = 0x165667b1;
      length = 0;
    }
  }

  const anchors = sortedUniqueScratch(sentences, ANCHORS);

  const numbers = new Set<string>();
  const contextKeys: number[] = [];
  const contextValues: string[] = [];
  for (let i = 0; i < n; i++) {
    if (t.kind[i] !== NUM) continue;
    const value = numberText(s, t.start[i]!, t.end[i]!);
    if (isSignificantNumber(value)) numbers.add(value);
    // The context: the two closest tokens before the number that are not numbers themselves.
    let ctx = 0x3c6ef372;
    let found = 0;
    for (let k = i - 1; k >= 0 && found < 2; k--) {
      if (t.kind[k] === NUM) continue;
      ctx = Math.imul(ctx ^ t.value[k]!, 0x01000193);
      found++;
    }
    if (found < 2) continue;
    contextKeys.push(fmix32(ctx));
    contextValues.push(value);
  }
  // Contexts by key, then by position: key × 2^21 + position sorts natively as (key, position) would (the
  // comparator sort for a text of more numbers than that).
  const nc = contextKeys.length;
  const keys = new Uint32Array(nc);
  const values: string[] = new Array<string>(nc);
  if (nc <= CONTEXT_SLOTS) {
    const packed = new Float64Array(nc);
    for (let i = 0; i < nc; i++) packed[i] = contextKeys[i]! * CONTEXT_SLOTS + i;
    packed.sort();
    for (let i = 0; i < nc; i++) {
      const p = packed[i]!;
      const at = p % CONTEXT_SLOTS;
      keys[i] = (p - at) / CONTEXT_SLOTS;
      values[i] = contextValues[at]!;
    }
  } else {
    const byKey = contextKeys.map((_, i) => i).sort((x, y) => contextKeys[x]! - contextKeys[y]! || x - y);
    byKey.forEach((at, i) => {
      keys[i] = contextKeys[at]!;
      values[i] = contextValues[at]!;
    });
  }
  const contexts = { keys, values };

  const allHashes = new Uint32Array(numbers.size);
  let nh = 0;
  for (const v of numbers) allHashes[nh++] = stringHash(v);
  const hashed = allHashes.sort().subarray(0, PAIR_NUMBERS);
  const pairs = new Uint32Array((hashed.length * (hashed.length - 1)) / 2);
  let np = 0;
  for (let x = 0; x < hashed.length; x++)
    for (let y = x + 1; y < hashed.length; y++) pairs[np++] = pairKey(hashed[x]!, hashed[y]!);

  return {
    simhash,
    numbers,
    contexts,
    shingles,
    anchors,
    numberPairs: sortedUnique(pairs),
  };
}

/** Size of the intersection of two ascending arrays. */
export function intersectionSize(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      n++;
      i++;
      j++;
    }
  }
  return n;
}

/** Share of the smaller shingle set found in the other one (0 when either is empty). */
export function containment(a: Fingerprint, b: Fingerprint): number {
  const smaller = Math.min(a.shingles.length, b.shingles.length);
  return smaller === 0 ? 0 : intersectionSize(a.shingles, b.shingles) / smaller;
}

/** Contexts where both texts write numbers: `agree` when they share one, `conflict` when they share none. */
export function contextAgreement(a: Fingerprint, b: Fingerprint): { agree: number; conflict: number } {
  let agree = 0;
  let conflict = 0;
  const { keys: ka, values: va } = a.contexts;
  const { keys: kb, values: vb } = b.contexts;
  let i = 0;
  let j = 0;
  while (i < ka.length && j < kb.length) {
    if (ka[i]! < kb[j]!) i++;
    else if (ka[i]! > kb[j]!) j++;
    else {
      const key = ka[i]!;
      let ie = i + 1;
      while (ie < ka.length && ka[ie] === key) ie++;
      let je = j + 1;
      while (je < kb.length && kb[je] === key) je++;
      let shared = false;
      for (let x = i; x < ie && !shared; x++)
        for (let y = j; y < je; y++)
          if (va[x] === vb[y]) {
            shared = true;
            break;
          }
      if (shared) agree++;
      else conflict++;
      i = ie;
      j = je;
    }
  }
  return { agree, conflict };
}
