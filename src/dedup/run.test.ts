import { describe, expect, it } from 'vitest';
import type { DedupCandidate, KeyedArticle } from '../db/queries/dedup-index.ts';
import { fingerprint } from './fingerprint.ts';
import type { Fingerprint } from './fingerprint.ts';
import { bandKeys, dedupKeys, textKeys } from './keys.ts';
import { BatchLookup, keySegments } from './lookup.ts';
import { closestStory } from './run.ts';
import { toSigned64 } from './simhash.ts';
import { marketCloses, republished } from './testdata/stories.ts';

const [cpi, cpiCopy] = republished;
const [monday] = marketCloses;
const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;
const T0 = Date.parse('2025-11-10T00:00:00Z');

function stored(id: number, s: { title: string; text: string }, matched: number[], at = T0): KeyedArticle {
  return {
    id,
    effectiveAt: new Date(at),
    clusterId: 100 + id,
    simhash: toSigned64(fingerprint(s.title, s.text).simhash),
    matched,
    text: null,
    frequent: [],
  };
}
const text = (id: number, s: { title: string; text: string }) => ({
  id,
  title: s.title,
  content: s.text,
  summary: null,
});

/** A fingerprint source that records which candidates the decision had to read. */
function recording() {
  const read: number[] = [];
  return { read, get: (c: DedupCandidate): Fingerprint => (read.push(c.id), fingerprint(c.title, c.content ?? '')) };
}

describe('BatchLookup', () => {
  const fp = fingerprint(cpiCopy.title, cpiCopy.text);
  const me = { fp, keys: dedupKeys(fp), at: new Date(T0 + 5 * HOUR) };

  it('never loads the text of a chance band match far in SimHash, and still finds the real repost', () => {
    const lookup = new BatchLookup(WINDOW);
    lookup.addStored([
      // Shares one band key with the newcomer only (as a 16-bit band collides by chance), 20+ bits away.
      stored(1, monday, [bandKeys(fp)[0]!]),
      stored(2, cpi, [bandKeys(fp)[0]!, ...textKeys(fp).slice(0, 2)]),
    ]);
    expect(lookup.missingTexts([me])).toEqual([2]);
    lookup.setTexts([text(2, cpi)]);
    // A text the key query brought along (the article shares a text key) is not asked for again.
    const withText = new BatchLookup(WINDOW);
    withText.addStored([{ ...stored(2, cpi, textKeys(fp).slice(0, 1)), text: text(2, cpi) }]);
    expect(withText.missingTexts([me])).toEqual([]);
    expect(withText.candidates(me).map((c) => c.id)).toEqual([2]);
    const candidates = lookup.candidates(me);
    expect(candidates.map((c) => [c.id, c.clusterId])).toEqual([[2, 102]]);
    expect(candidates[0]!.matched).toEqual(
      [bandKeys(fp)[0]!, ...textKeys(fp).slice(0, 2)].sort((x, y) => x - y).filter((k) => me.keys.includes(k)),
    );
    const source = recording();
    expect(closestStory({ title: cpiCopy.title, text: cpiCopy.text, fp }, candidates, source)).toMatchObject({
      clusterId: 102,
    });
    expect(source.read).toEqual([2]);
  });

  it('keeps a band-only match within the copy distance, and only what lies within ± the window', () => {
    const lookup = new BatchLookup(WINDOW);
    lookup.addStored([
      stored(3, cpiCopy, [bandKeys(fp)[1]!], T0 + 5 * HOUR - WINDOW), // 0 bits apart, at the window's edge
      stored(4, cpiCopy, [bandKeys(fp)[1]!], T0 + 5 * HOUR + WINDOW + 1), // the same text, just outside
    ]);
    expect(lookup.missingTexts([me])).toEqual([3]);
    lookup.setTexts([text(3, cpiCopy)]);
    expect(lookup.candidates(me).map((c) => c.id)).toEqual([3]);
  });

  it('finds an article the run assigned earlier in the batch, and refuses to answer without a needed text', () => {
    const lookup = new BatchLookup(WINDOW);
    const original = fingerprint(cpi.title, cpi.text);
    lookup.add(
      { id: 9, title: cpi.title, content: cpi.text, summary: null, effectiveAt: new Date(T0) },
      77,
      original,
      dedupKeys(original),
    );
    expect(lookup.missingTexts([me])).toEqual([]);
    expect(lookup.candidates(me).map((c) => [c.id, c.clusterId])).toEqual([[9, 77]]);
    // A stored copy whose text was not loaded: no decision is taken on a text never read.
    lookup.addStored([stored(5, cpi, textKeys(fp).slice(0, 1))]);
    expect(() => lookup.candidates(me)).toThrow(/text of article 5 was not loaded/);
  });
});

describe('keySegments', () => {
  it("asks for a batch's text and band keys over the time its newcomers' windows cover, cut where they lie far apart", () => {
    const a = fingerprint(cpi.title, cpi.text);
    const b = fingerprint(monday.title, monday.text);
    const at = (h: number) => new Date(T0 + h * HOUR);
    const segments = keySegments(
      [
        { fp: b, keys: dedupKeys(b), at: at(100) },
        { fp: a, keys: dedupKeys(a), at: at(0) }, // one segment: within 2 × 72 h of its first
        { fp: a, keys: dedupKeys(a), at: at(24 * 200) }, // 200 days later: a segment of its own
      ],
      WINDOW,
    );
    const sorted = (xs: Iterable<number>) => [...new Set(xs)].sort((x, y) => x - y);
    const show = segments.map((g) => [
      sorted(g.textKeys),
      sorted(g.bandKeys),
      (g.from.getTime() - T0) / HOUR,
      (g.to.getTime() - T0) / HOUR,
    ]);
    expect(show).toEqual([
      [sorted([...textKeys(a), ...textKeys(b)]), sorted([...bandKeys(a), ...bandKeys(b)]), -72, 172],
      [sorted(textKeys(a)), sorted(bandKeys(a)), 24 * 200 - 72, 24 * 200 + 72],
    ]);
  });
});
