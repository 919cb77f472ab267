/**
 * Whether a story fires a rule, and the rule's clock: quiet hours and the local day of the daily cap. The
 * watch-list matching is the ranking's own (`score/watchMatches`), so a rule and the report's watch list agree
 * on what "names 600519" means.
 */
import type { AlertRuleRow } from '../db/queries/alerts.ts';
import type { Extraction } from '../domain.ts';
import { dateInZone, zonedParts } from '../lib/time.ts';
import { watchMatches } from '../score/index.ts';

/** What a rule reads of a story. */
export interface MatchableStory {
  title: string;
  extraction: Extraction;
}

export type MatchRule = Pick<AlertRuleRow, 'tickers' | 'companies' | 'keywords' | 'minImportance' | 'sentiment'>;

const codeOf = (t: string): string => t.split('.')[0] ?? t;

/**
 * Whether a rule's ticker names one of the story's: the same symbol; a bare code (`600519`) names any
 * exchange's; a suffixed one (`600519.SH`) names itself or the bare code, not another exchange's
 * (`000001.SH` is an index, `000001.SZ` a bank).
 */
function tickerHit(rule: string, extracted: Set<string>): boolean {
  const r = rule.toUpperCase();
  if (extracted.has(r)) return true;
  if (r.includes('.')) return extracted.has(codeOf(r));
  return [...extracted].some((t) => codeOf(t) === r);
}

/**
 * The entries of the rule the story names (`['600519', '降准']`), `[]` when the rule names nothing and
 * matches on importance and sentiment alone, or null when the story does not fire the rule.
 *
 * @example matchRule({ tickers: ['600519.SH'], companies: [], keywords: [], minImportance: 3, sentiment: null }, story) // ['600519.SH']
 */
export function matchRule(rule: MatchRule, story: MatchableStory): string[] | null {
  const e = story.extraction;
  if (e.importance < rule.minImportance) return null;
  if (rule.sentiment && e.sentiment !== rule.sentiment) return null;
  if (rule.tickers.length + rule.companies.length + rule.keywords.length === 0) return [];
  const extracted = new Set(e.entities.companies.flatMap((c) => (c.ticker ? [c.ticker.trim().toUpperCase()] : [])));
  const hits = [
    ...rule.tickers.filter((t) => tickerHit(t, extracted)),
    // Companies and keywords as the report's watch list matches them.
    ...watchMatches(story, { tickers: [], companies: rule.companies, keywords: rule.keywords }),
  ];
  return hits.length > 0 ? [...new Set(hits)] : null;
}

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** Whether `at` falls in the quiet hours `from`–`to` (local time of `timeZone`; the window may wrap midnight). */
export function inQuietHours(at: Date, from: string | null, to: string | null, timeZone: string): boolean {
  if (!from || !to) return false;
  const p = zonedParts(at, timeZone);
  const now = p.hour * 60 + p.minute;
  const a = minutes(from);
  const b = minutes(to);
  return a < b ? now >= a && now < b : now >= a || now < b;
}

/** The local day an alert counts against (`2026-12-05`). */
export const alertDay = (at: Date, timeZone: string): string => dateInZone(at, timeZone);
