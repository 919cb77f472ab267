/**
 * Fingerprints in the compact form the clusterer reads (`CompactDoc`), and many of them in a few flat typed
 * arrays (`FeatureBatch`): what `finrep dedup`'s workers send to the thread that clusters — transferred, not
 * copied. A fingerprint kept as objects (a Set of number strings, an array of context strings, five typed
 * arrays) is a few dozen heap objects per document that the garbage collector copies for as long as the run
 * lasts; a `CompactDoc` is one object and views on its batch's arrays.
 *
 * Numbers (the significant ones and those written after a context) are only ever compared for equality, so
 * each is replaced by an exact numeric code (`numberCode`): the text's symbols (digits, "." and the units "%",
 * "万", "亿", "千") four bits each, which fits every number of up to 13 symbols in a double. A longer one keeps
 * its text (`CompactDoc.long`) and a negative code that points to it.
 */
import type { Fingerprint } from './fingerprint.ts';
import { dedupKeys, textKeys } from './keys.ts';
import type { Posting } from './postings.ts';

/** The most symbols `numberCode` encodes. */
const CODE_SYMBOLS = 13;

/**
 * The exact code of a number's text (`numberText`; "," and " " are skipped, as `numberText` drops them): a
 * non-negative integer below 2^52, equal for equal texts and different for different ones; -1 when the text is
 * longer than 13 symbols or holds another character.
 *
 * @example numberCode('3386.25') === numberCode('3,386.25')
 */
export function numberCode(s: string, from = 0, to = s.length): number {
  let v = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    let sym: number;
    if (c >= 48 && c <= 57)
      sym = c - 47; // 1 … 10: never 0, so that the length is part of the value
    else if (c === 46) sym = 11;
    else if (c === 37) sym = 12;
    else if (c === 0x4e07)
      sym = 13; // 万
    else if (c === 0x4ebf)
      sym = 14; // 亿
    else if (c === 0x5343)
      sym = 15; // 千
    else if (c === 44 || c === 32) continue;
    else return -1;
    if (++n > CODE_SYMBOLS) return -1;
    v = v * 16 + sym;
  }
  return v;
}

/**
 * A document as the clusterer reads it: its SimHash halves, its fingerprint's arrays (views), its numbers as
 * codes, and its index keys. A `Posting` for the in-memory index (`at`, `seq`, `simhash`).
 */
export class CompactDoc<Id> implements Posting {
  readonly simhash: bigint;
  seq = 0;

  constructor(
    readonly id: Id,
    /** Publication time in ms; `Infinity` when undated. */
    readonly at: number,
    readonly hi: number,
    readonly lo: number,
    /** `Fingerprint.shingles`, `anchors`, `numberPairs`. */
    readonly shingles: Uint32Array,
    readonly anchors: Uint32Array,
    readonly pairs: Uint32Array,
    /** `dedupKeys` and `textKeys` of the fingerprint. */
    readonly keys: Int32Array,
    readonly textKeys: Int32Array,
    /** Codes of the significant numbers, ascending (negative ones first: texts in `long`). */
    readonly numbers: Float64Array,
    /** `Fingerprint.contexts`: keys ascending, the code of the number written after each. */
    readonly ctxKeys: Uint32Array,
    readonly ctxValues: Float64Array,
    /** Texts of the numbers too long for a code: code -1 - k is `long[k]`. */
    readonly long: readonly string[] | null,
  ) {
    this.simhash = (BigInt(hi) << 32n) | BigInt(lo);
  }
}

/** Codes of `texts` (distinct texts give distinct codes), appending the long ones to `long`. */
function codesOf(texts: Iterable<string>, long: string[], out: Float64Array): Float64Array {
  let i = 0;
  for (const s of texts) {
    let c = numberCode(s);
    if (c < 0) {
      const k = long.indexOf(s);
      c = -1 - (k >= 0 ? k : long.push(s) - 1);
    }
    out[i++] = c;
  }
  return out;
}

/**
 * The compact form of a fingerprint; `simhash` is the SimHash the decision compares (the document's own, which
 * is the fingerprint's unless a caller set another).
 */
export function compactOf<Id>(fp: Fingerprint, id: Id, at: number, simhash: bigint = fp.simhash): CompactDoc<Id> {
  const long: string[] = [];
  const numbers = codesOf(fp.numbers, long, new Float64Array(fp.numbers.size)).sort();
  const ctxValues = codesOf(fp.contexts.values, long, new Float64Array(fp.contexts.values.length));
  const u = BigInt.asUintN(64, simhash);
  return new CompactDoc(
    id,
    at,
    Number(u >> 32n),
    Number(u & 0xffffffffn),
    fp.shingles,
    fp.anchors,
    fp.numberPairs,
    Int32Array.from(dedupKeys(fp)),
    Int32Array.from(textKeys(fp)),
    numbers,
    fp.contexts.keys,
    ctxValues,
    long.length ? long : null,
  );
}

/** Ragged arrays: the values of document `i` are `values[off[i] … off[i + 1])`. */
export interface Ragged<A extends Uint32Array | Int32Array | Float64Array> {
  values: A;
  off: Int32Array;
}

/** The compact fingerprints of `count` documents in flat arrays (what a worker transfers). */
export interface FeatureBatch {
  count: number;
  hi: Uint32Array;
  lo: Uint32Array;
  shingles: Ragged<Uint32Array>;
  anchors: Ragged<Uint32Array>;
  pairs: Ragged<Uint32Array>;
  keys: Ragged<Int32Array>;
  textKeys: Ragged<Int32Array>;
  numbers: Ragged<Float64Array>;
  /** Context keys; `ctxValues` shares their offsets. */
  contexts: Ragged<Uint32Array>;
  ctxValues: Float64Array;
  /** `CompactDoc.long` of the documents that have one, by index. */
  long: Record<number, string[]>;
}

/** Builds a `FeatureBatch` of `CompactDoc`s; arrays sized from the documents, each copied once. */
export function featureBatch(docs: readonly CompactDoc<unknown>[]): FeatureBatch {
  const n = docs.length;
  const ragged = <A extends Uint32Array | Int32Array | Float64Array>(
    get: (d: CompactDoc<unknown>) => A,
    make: (n: number) => A,
  ): Ragged<A> => {
    const off = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) off[i + 1] = off[i]! + get(docs[i]!).length;
    const values = make(off[n]!);
    for (let i = 0; i < n; i++) values.set(get(docs[i]!) as never, off[i]!);
    return { values, off };
  };
  const contexts = ragged(
    (d) => d.ctxKeys,
    (k) => new Uint32Array(k),
  );
  const long: Record<number, string[]> = {};
  docs.forEach((d, i) => {
    if (d.long) long[i] = [...d.long];
  });
  return {
    count: n,
    hi: Uint32Array.from(docs, (d) => d.hi),
    lo: Uint32Array.from(docs, (d) => d.lo),
    shingles: ragged(
      (d) => d.shingles,
      (k) => new Uint32Array(k),
    ),
    anchors: ragged(
      (d) => d.anchors,
      (k) => new Uint32Array(k),
    ),
    pairs: ragged(
      (d) => d.pairs,
      (k) => new Uint32Array(k),
    ),
    keys: ragged(
      (d) => d.keys,
      (k) => new Int32Array(k),
    ),
    textKeys: ragged(
      (d) => d.textKeys,
      (k) => new Int32Array(k),
    ),
    numbers: ragged(
      (d) => d.numbers,
      (k) => new Float64Array(k),
    ),
    contexts,
    ctxValues: ragged(
      (d) => d.ctxValues,
      (k) => new Float64Array(k),
    ).values,
    long,
  };
}

/** The documents of a batch, with their ids and times: views on the batch's arrays, nothing copied. */
export function batchDocs<Id>(b: FeatureBatch, ids: readonly Id[], at: Float64Array): CompactDoc<Id>[] {
  const out: CompactDoc<Id>[] = [];
  const view = <A extends Uint32Array | Int32Array | Float64Array>(r: Ragged<A>, i: number) =>
    r.values.subarray(r.off[i]!, r.off[i + 1]!) as A;
  for (let i = 0; i < b.count; i++) {
    out.push(
      new CompactDoc(
        ids[i]!,
        at[i]!,
        b.hi[i]!,
        b.lo[i]!,
        view(b.shingles, i),
        view(b.anchors, i),
        view(b.pairs, i),
        view(b.keys, i),
        view(b.textKeys, i),
        view(b.numbers, i),
        view(b.contexts, i),
        b.ctxValues.subarray(b.contexts.off[i]!, b.contexts.off[i + 1]!),
        b.long[i] ?? null,
      ),
    );
  }
  return out;
}

/** The buffers of a batch's arrays, to transfer it. */
export function batchBuffers(b: FeatureBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [b.hi.buffer as ArrayBuffer, b.lo.buffer as ArrayBuffer];
  for (const r of [b.shingles, b.anchors, b.pairs, b.keys, b.textKeys, b.numbers, b.contexts])
    out.push(r.values.buffer as ArrayBuffer, r.off.buffer as ArrayBuffer);
  out.push(b.ctxValues.buffer as ArrayBuffer);
  return out;
}

/** How many codes of two ascending code arrays name the same number (`long` texts compared as strings). */
export function sharedNumbers(a: CompactDoc<unknown>, b: CompactDoc<unknown>): number {
  const x = a.numbers;
  const y = b.numbers;
  let i = 0;
  let j = 0;
  let n = 0;
  if (a.long && b.long) {
    // Negative codes (long texts) come first; each text is in its document's set once.
    for (; i < x.length && x[i]! < 0; i++)
      for (let k = 0; k < y.length && y[k]! < 0; k++)
        if (a.long[-1 - x[i]!] === b.long[-1 - y[k]!]) {
          n++;
          break;
        }
  }
  while (i < x.length && x[i]! < 0) i++;
  while (j < y.length && y[j]! < 0) j++;
  while (i < x.length && j < y.length) {
    const u = x[i]!;
    const v = y[j]!;
    if (u < v) i++;
    else if (u > v) j++;
    else {
      n++;
      i++;
      j++;
    }
  }
  return n;
}

/** Whether code `u` of `a` and code `v` of `b` name the same number. */
export function sameNumber(a: CompactDoc<unknown>, u: number, b: CompactDoc<unknown>, v: number): boolean {
  if (u >= 0 || v >= 0) return u === v;
  return a.long![-1 - u] === b.long![-1 - v];
}
