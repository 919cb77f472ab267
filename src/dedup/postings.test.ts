import { describe, expect, it } from 'vitest';
import { clusterItems, dedupDoc } from './cluster.ts';
import { candidateStats, FREQUENT_KEY_SAMPLE, MAX_VERIFIED, PostingIndex, RARE_KEY_POSTINGS } from './postings.ts';
import type { CandidateStats, Posting } from './postings.ts';
import { templatedReports } from './testdata/templated.ts';

const HOUR = 3_600_000;

function cluster(count: number, repostShare = 0) {
  const docs = templatedReports(count, { repostShare });
  const stats = candidateStats();
  const got = clusterItems(
    docs.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt })),
    { stats },
  );
  return { docs, got, stats };
}

const perNewcomer = (s: CandidateStats) => ({
  verified: s.verified / s.newcomers,
  postings: s.postingsRead / s.newcomers,
});

describe("candidate work on templated news (every report shares its template's sentences and bands)", () => {
  it('stays bounded per newcomer: the same at 2,000 reports as at 500, never more than MAX_VERIFIED', () => {
    const small = cluster(500);
    const large = cluster(2000);
    expect(large.stats.newcomers).toBe(2000);
    expect(large.stats.maxVerified).toBeLessThanOrEqual(MAX_VERIFIED);
    // Without the bounds every earlier report of the window was a candidate: ~1,000 per newcomer at 2,000.
    expect(perNewcomer(large.stats).verified).toBeLessThan(40);
    expect(perNewcomer(large.stats).verified).toBeLessThan(perNewcomer(small.stats).verified * 1.5);
    expect(perNewcomer(large.stats).postings).toBeLessThan(perNewcomer(small.stats).postings * 1.5);
    // None is a repost of another: every report is a story of its own.
    expect(new Set(large.got.values()).size).toBe(2000);
  });

  it('still finds every repost of a templated report, and merges nothing else', () => {
    const { docs, got } = cluster(1500, 0.1);
    const story = new Map(docs.map((d) => [d.id, d.story]));
    const reposts = docs.filter((d) => d.story !== d.id);
    expect(reposts.length).toBeGreaterThan(100);
    for (const d of reposts) expect(got.get(d.id)).toBe(got.get(d.story));
    for (const [id, c] of got) expect(story.get(id)).toBe(story.get(c));
  });
});

describe('PostingIndex', () => {
  const entry = (seq: number, at: number, simhash = 0n): Posting => ({ seq, at, simhash });
  const probe = (keys: number[], at: number) => ({ keys, textKeys: new Set(keys), simhash: 0n, at });

  it('reads a rare key in full within the window, a frequent one only near the newcomer', () => {
    const index = new PostingIndex<Posting>(72 * HOUR);
    for (let i = 0; i < RARE_KEY_POSTINGS; i++) index.add(entry(i, i * HOUR), [1]);
    for (let i = 0; i < 100; i++) index.add(entry(1000 + i, i * 60_000), [2]);
    index.add(entry(5000, -100 * HOUR), [1]); // outside the window
    const rare = index.candidates(probe([1], 40 * HOUR)).map((c) => c.entry.seq);
    expect(rare).toEqual(Array.from({ length: RARE_KEY_POSTINGS }, (_, i) => i));
    const frequent = index.candidates(probe([2], 50 * 60_000)).map((c) => c.entry.seq);
    expect(frequent).toHaveLength(FREQUENT_KEY_SAMPLE);
    for (const seq of frequent) expect(Math.abs(seq - 1050)).toBeLessThanOrEqual(FREQUENT_KEY_SAMPLE / 2);
  });

  it('verifies at most MAX_VERIFIED, those sharing the most rare keys first', () => {
    const index = new PostingIndex<Posting>(72 * HOUR);
    // 3 × MAX_VERIFIED candidates, each through a rare key of its own; one in three shares a second rare key.
    for (let i = 0; i < 3 * MAX_VERIFIED; i++) index.add(entry(i, 0), i % 3 === 0 ? [10 + i, 5000 + i] : [10 + i]);
    const stats = candidateStats();
    const keys = Array.from({ length: 3 * MAX_VERIFIED }, (_, i) => [10 + i, 5000 + i]).flat();
    const got = index.candidates(probe(keys, 0), stats);
    expect(got).toHaveLength(MAX_VERIFIED);
    expect(stats.maxVerified).toBe(MAX_VERIFIED);
    expect(got.filter((c) => c.matched.length === 2)).toHaveLength(MAX_VERIFIED);
  });
});
