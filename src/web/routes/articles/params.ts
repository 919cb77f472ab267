/** What the articles area's routes parse: the search filters, a period, a company key. */
import { z } from 'zod';
import { CATEGORIES } from '../../../domain.ts';
import type { ArticleFilters } from '../../../db/queries/console-articles.ts';
import { isIsoDate, zonedToUtc } from '../../../lib/time.ts';

export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

const day = z
  .string()
  .trim()
  .refine((s) => s === '' || isIsoDate(s))
  .catch('')
  .default('');

/** The articles page's query: every filter optional, bad values dropped rather than refused. */
export const articlesQuery = z.object({
  q: z.string().trim().max(100).catch('').default(''),
  from: day,
  to: day,
  source: z.coerce.number().int().min(1).optional().catch(undefined),
  category: z.enum(CATEGORIES).optional().catch(undefined),
  sentiment: z.enum(SENTIMENTS).optional().catch(undefined),
  company: z.string().trim().max(60).catch('').default(''),
  page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
});
export type ArticlesQuery = z.infer<typeof articlesQuery>;

/** Midnight of a YYYY-MM-DD in `timeZone`, `plusDays` later. */
function dayStart(date: string, timeZone: string, plusDays = 0): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedToUtc(y, m, d + plusDays, 0, 0, timeZone);
}

/** The query's filters for `searchArticles`: the dates are whole days in the configured zone, `to` included. */
export function filtersOf(q: ArticlesQuery, timeZone: string): ArticleFilters {
  return {
    ...(q.q && { q: q.q }),
    ...(q.from && { from: dayStart(q.from, timeZone) }),
    ...(q.to && { to: dayStart(q.to, timeZone, 1) }),
    ...(q.source !== undefined && { sourceId: q.source }),
    ...(q.category && { category: q.category }),
    ...(q.sentiment && { sentiment: q.sentiment }),
    ...(q.company && { company: q.company }),
  };
}

/** The periods of the word cloud and the company trend, in days. */
export const periodQuery = (allowed: readonly number[], fallback: number) =>
  z.object({
    days: z.coerce
      .number()
      .int()
      .refine((n) => allowed.includes(n))
      .catch(fallback)
      .default(fallback),
  });

/** A company key from the path: a ticker (`600519.SH`) or a name; null when it cannot be one. */
export function companyKey(raw: unknown): string | null {
  const s = typeof raw === 'string' ? raw.trim() : '';
  return s.length > 0 && s.length <= 60 && ![...s].some((c) => c.charCodeAt(0) < 32) ? s : null;
}
