/**
 * Ranking settings kept in the `settings` table (set in the admin's 系统设置, or with `setSetting`):
 *
 * - `watchlist`: `{ "tickers": ["600519.SH"], "companies": ["贵州茅台"], "keywords": ["降准"] }`
 * - `score_weights`: any of `{ "importance": 40, "coverage": 25, "source": 10, "recency": 10, "watchlist": 20, "sentiment": 5 }`
 * - `report_caps`: `{ "sections": { "market": 8, "other": 0 }, "topPerSection": 2, "topPerCompany": 2 }`
 *
 * Values are parsed, not trusted: a malformed entry is ignored (its default applies) and reported in
 * `problems`, so a typo in the admin never stops an edition.
 */
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { settingsQ } from '../db/queries/index.ts';
import { CATEGORIES } from '../domain.ts';
import type { Category } from '../domain.ts';
import { DEFAULT_WEIGHTS, FACTORS } from '../score/index.ts';
import type { RankCaps, ScoreWeights, WatchList } from '../score/index.ts';

/** Diversity defaults for 今日要闻. */
export const DEFAULT_CAPS = { topPerSection: 2, topPerCompany: 2 } as const;

/** What the score stage reads from settings. */
export interface RankingSettings {
  watch: WatchList;
  weights: ScoreWeights;
  caps: Omit<RankCaps, 'topN'>;
  /** One line per ignored setting value, for the log. */
  problems: string[];
}

const strings = z.array(z.string().trim().min(1).max(100)).max(1000);
const weight = z.number().finite().min(0).max(1000);
const cap = z.number().int().min(0).max(200);

/** A whole `watchlist` value, as the admin saves it (the same field schemas this module reads with). */
export const watchListSchema = z.strictObject({ tickers: strings, companies: strings, keywords: strings });

/** A whole `score_weights` value: every factor's weight (the same field schema this module reads with). */
export const scoreWeightsSchema = z.strictObject(
  Object.fromEntries(FACTORS.map((f) => [f, weight])) as Record<(typeof FACTORS)[number], typeof weight>,
);

/** Reads one field with its schema; a bad value is reported and replaced by `fallback`. */
function field<T>(problems: string[], where: string, value: unknown, schema: z.ZodType<T>, fallback: T): T {
  if (value === undefined || value === null) return fallback;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  problems.push(`${where}: ${z.prettifyError(r.error).replace(/\s+/g, ' ')}`);
  return fallback;
}

function asObject(problems: string[], key: string, raw: unknown): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>;
  problems.push(`${key}: expected an object`);
  return {};
}

/** The watch list kept in settings (`watchlist`), empty when unset. */
export async function loadWatchList(db: Db, problems: string[] = []): Promise<WatchList> {
  const o = asObject(problems, 'watchlist', await settingsQ.getSetting(db, 'watchlist'));
  const list = (k: string) => field(problems, `watchlist.${k}`, o[k], strings, []);
  return { tickers: list('tickers'), companies: list('companies'), keywords: list('keywords') };
}

/** The factor weights: defaults overridden by `score_weights`, factor by factor. */
export async function loadScoreWeights(db: Db, problems: string[] = []): Promise<ScoreWeights> {
  const o = asObject(problems, 'score_weights', await settingsQ.getSetting(db, 'score_weights'));
  for (const k of Object.keys(o))
    if (!(FACTORS as readonly string[]).includes(k)) problems.push(`score_weights.${k}: unknown factor`);
  return Object.fromEntries(
    FACTORS.map((f) => [f, field(problems, `score_weights.${f}`, o[f], weight, DEFAULT_WEIGHTS[f])]),
  ) as ScoreWeights;
}

/** Section lengths and 今日要闻 diversity caps from `report_caps`. */
export async function loadRankCaps(db: Db, problems: string[] = []): Promise<Omit<RankCaps, 'topN'>> {
  const o = asObject(problems, 'report_caps', await settingsQ.getSetting(db, 'report_caps'));
  const sections = asObject(problems, 'report_caps.sections', o.sections);
  const sectionCaps: Partial<Record<Category, number>> = {};
  for (const [k, v] of Object.entries(sections)) {
    if (!(CATEGORIES as readonly string[]).includes(k)) {
      problems.push(`report_caps.sections.${k}: unknown section`);
      continue;
    }
    const n = field(problems, `report_caps.sections.${k}`, v, cap.nullable(), null);
    if (n !== null) sectionCaps[k as Category] = n;
  }
  return {
    sectionCaps,
    topPerSection: field(problems, 'report_caps.topPerSection', o.topPerSection, cap, DEFAULT_CAPS.topPerSection),
    topPerCompany: field(problems, 'report_caps.topPerCompany', o.topPerCompany, cap, DEFAULT_CAPS.topPerCompany),
  };
}

/** Everything the score stage reads from settings, with the problems found on the way. */
export async function loadRankingSettings(db: Db): Promise<RankingSettings> {
  const problems: string[] = [];
  const watch = await loadWatchList(db, problems);
  const weights = await loadScoreWeights(db, problems);
  const caps = await loadRankCaps(db, problems);
  return { watch, weights, caps, problems };
}
