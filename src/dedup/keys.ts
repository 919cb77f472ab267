/**
 * Index keys for the DB stage: the four SimHash bands, the anchors and the number pairs of a fingerprint,
 * each a salted signed 32-bit integer. `article_dedup_keys` holds one row per key of an article with the
 * article's time, under a B-tree on (key, effective_at, article): a lookup descends once per key of the
 * newcomer and reads only the postings inside its time window, so it costs the same at a million rows as at a
 * thousand, even for a sentence or a pair of figures that many articles share.
 */
import type { Fingerprint } from './fingerprint.ts';
import { bands } from './simhash.ts';

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const ANCHOR_SALT = 0x2545f491;
const PAIR_SALT = 0x6c8e9cf5;
const BAND_SALT = 0x3b9aca07;

function keyOf(raw: number, salt: number): number {
  return fmix32(raw ^ salt) | 0;
}

/** The keys of a fingerprint's four SimHash bands (shared by every pair within 3 bits, and by chance). */
export function bandKeys(fp: Fingerprint): number[] {
  return bands(fp.simhash).map((v, i) => keyOf(i * 65_536 + v, BAND_SALT));
}

/** The keys of a fingerprint's anchors and number pairs: what rules 3 and 4 of `isNearDuplicate` need shared. */
export function textKeys(fp: Fingerprint): number[] {
  const out: number[] = [];
  for (const a of fp.anchors) out.push(keyOf(a, ANCHOR_SALT));
  for (const p of fp.numberPairs) out.push(keyOf(p, PAIR_SALT));
  return out;
}

/**
 * The index keys of a fingerprint, ascending and distinct: what the stage stores for an article and what it
 * looks up for a newcomer. Two articles share a key when they share a SimHash band (every pair within 3 bits
 * does), an anchor sentence or a pair of significant numbers — so every positive rule of `isNearDuplicate`
 * implies a shared key.
 *
 * @example dedupKeys(fingerprint(title, text))
 */
export function dedupKeys(fp: Fingerprint): number[] {
  return [...new Set([...bandKeys(fp), ...textKeys(fp)])].sort((x, y) => x - y);
}
