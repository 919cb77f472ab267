/**
 * The word cloud's keywords per period, computed once and served from memory until a new extraction lands
 * (the newest extraction's id changes) or `KEYWORDS_TTL_MS` passes (the period slides; old articles are
 * purged). Counting a period's keywords reads every story of it (23,000 in 7 days of the console benchmark,
 * ~120 ms); the check is one probe of the extractions' primary key. A cache per period, not keywords stored
 * per story: stored keywords would still be counted over the whole period on every request. Concurrent
 * requests of one period share one computation.
 */
import { newestExtractionId, periodKeywords } from '../../../db/queries/console-articles.ts';
import type { Db } from '../../../db/client.ts';

/** How long a period's keywords are served without a new extraction. @defaultValue 10 minutes */
export const KEYWORDS_TTL_MS = 10 * 60_000;
/** The keywords kept per period (the JSON's; the page shows the first 60). */
const KEPT = 150;

type Words = { word: string; stories: number }[];
interface Entry {
  version: number;
  at: number;
  from: Date;
  to: Date;
  words: Promise<Words>;
}
const caches = new WeakMap<Db, Map<number, Entry>>();

/**
 * The keywords of the last `days` up to now, heaviest first (at most 150), and the period they were counted
 * over. @example const { words } = await cachedKeywords(db, 7)
 */
export async function cachedKeywords(
  db: Db,
  days: number,
  now = Date.now(),
): Promise<{ from: Date; to: Date; words: Words }> {
  const cache = caches.get(db) ?? new Map<number, Entry>();
  caches.set(db, cache);
  const version = await newestExtractionId(db);
  let entry = cache.get(days);
  if (!entry || entry.version !== version || now - entry.at > KEYWORDS_TTL_MS) {
    const to = new Date(now);
    const from = new Date(now - days * 86_400_000);
    entry = { version, at: now, from, to, words: periodKeywords(db, from, to, KEPT) };
    cache.set(days, entry);
    // A failed count is not kept: the next request counts again.
    const failed = entry;
    entry.words.catch(() => cache.get(days) === failed && cache.delete(days));
  }
  return { from: entry.from, to: entry.to, words: await entry.words };
}
