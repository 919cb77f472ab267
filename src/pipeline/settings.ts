import type { Db } from '../db/client.ts';
import { settingsQ } from '../db/queries/index.ts';
import type { WatchList } from '../score/index.ts';

/** The watch list kept in settings (`watchlist`), empty when unset or malformed. */
export async function loadWatchList(db: Db): Promise<WatchList> {
  const raw = await settingsQ.getSetting(db, 'watchlist');
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return { tickers: list(o.tickers), companies: list(o.companies), keywords: list(o.keywords) };
}
