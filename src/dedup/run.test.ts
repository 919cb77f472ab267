import { describe, expect, it } from 'vitest';
import type { DedupCandidate } from '../db/queries/articles.ts';
import { fingerprint } from './fingerprint.ts';
import type { Fingerprint } from './fingerprint.ts';
import { bandKeys, textKeys } from './keys.ts';
import { closestStory } from './run.ts';
import { toSigned64 } from './simhash.ts';
import { marketCloses, republished } from './testdata/stories.ts';

const [cpi, cpiCopy] = republished;
const [monday] = marketCloses;

function candidate(id: number, s: { title: string; text: string }, matched: number[] | undefined, simhash?: bigint): DedupCandidate {
  return { id, title: s.title, content: s.text, summary: null, effectiveAt: new Date(0), clusterId: 100 + id, matched, simhash };
}

/** A fingerprint source that records which candidates the decision had to read. */
function recording() {
  const read: number[] = [];
  return { read, get: (c: DedupCandidate): Fingerprint => (read.push(c.id), fingerprint(c.title, c.content ?? '')) };
}

describe('closestStory', () => {
  const me = { title: cpiCopy.title, text: cpiCopy.text, fp: fingerprint(cpiCopy.title, cpiCopy.text) };

  it('passes over a chance band match far in SimHash without reading its text, and still joins the real repost', () => {
    const other = fingerprint(monday.title, monday.text);
    const original = fingerprint(cpi.title, cpi.text);
    const source = recording();
    const best = closestStory(me, [
      // Shares one band key with the newcomer only (as a 16-bit band collides by chance), 20+ bits away.
      candidate(1, monday, [bandKeys(me.fp)[0]!], toSigned64(other.simhash)),
      candidate(2, cpi, [...bandKeys(me.fp).slice(0, 1), ...textKeys(me.fp).slice(0, 2)], toSigned64(original.simhash)),
    ], source);
    expect(best?.clusterId).toBe(102);
    expect(source.read).toEqual([2]);
  });

  it('reads a band-only match within the copy distance, and any candidate the lookup did not annotate', () => {
    const source = recording();
    // The same text: 0 bits apart, found through a band alone.
    const copy = candidate(3, cpiCopy, [bandKeys(me.fp)[1]!], toSigned64(me.fp.simhash));
    expect(closestStory(me, [copy, candidate(4, monday, undefined)], source)?.clusterId).toBe(103);
    expect(source.read).toEqual([3, 4]);
  });
});
