/**
 * Index keys for the DB stage: the anchors and number pairs of a fingerprint, each combined with a time
 * bucket into one signed 32-bit integer (rows of `article_dedup_keys`, a B-tree on key). The bucket keeps
 * every posting list to the articles of a few days, so a lookup costs the same at a million rows as at a
 * thousand, even for a sentence or a pair of figures that many articles share. SimHash bands have B-tree
 * indexes of their own (`band0..3`, with the time).
 */
import type { Fingerprint } from './fingerprint.ts';

/**
 * Width of a time bucket: twice the default window, so that a lookup over [t − 72 h, t + 72 h] touches at
 * most two buckets. @defaultValue 144 h
 */
export const KEY_BUCKET_MS = 144 * 3_600_000;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const ANCHOR_SALT = 0x2545f491;
const PAIR_SALT = 0x6c8e9cf5;

function keyOf(raw: number, salt: number, bucket: number): number {
  return fmix32(raw ^ salt ^ Math.imul(bucket + 1, 0x9e3779b1)) | 0;
}

/** The bucket an instant falls in. */
export function bucketOf(at: Date): number {
  return Math.floor(at.getTime() / KEY_BUCKET_MS);
}

function keysIn(fp: Fingerprint, buckets: number[]): number[] {
  const out = new Set<number>();
  for (const b of buckets) {
    for (const a of fp.anchors) out.add(keyOf(a, ANCHOR_SALT, b));
    for (const p of fp.numberPairs) out.add(keyOf(p, PAIR_SALT, b));
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * The keys stored with an article published (or first seen) at `at`.
 *
 * @example storedKeys(fingerprint(title, text), article.effectiveAt)
 */
export function storedKeys(fp: Fingerprint, at: Date): number[] {
  return keysIn(fp, [bucketOf(at)]);
}

/**
 * The keys to look up for candidates published in [from, to]: every stored key of an article in that range
 * that shares an anchor or a number pair with `fp` is among them.
 */
export function lookupKeys(fp: Fingerprint, from: Date, to: Date): number[] {
  const buckets: number[] = [];
  for (let b = bucketOf(from); b <= bucketOf(to); b++) buckets.push(b);
  return keysIn(fp, buckets);
}
