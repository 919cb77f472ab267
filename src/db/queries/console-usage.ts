/**
 * The /admin/usage page's ledger queries: per edition and provider (the per-day one is `llm-usage.ts`'s
 * `usageByDay`), each one grouped statement over the chosen range — of the quarter-hour rollup when the range
 * starts and ends on its buckets (whole days always do).
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { editions, llmUsage, llmUsageRollup } from '../schema/index.ts';
import { onBuckets } from './llm-usage.ts';
import type { UsageTotals } from './llm-usage.ts';

/** Calls, tokens and cost per edition and provider over [from, to), newest edition first; calls outside an edition under `null`. */
export async function usageByEdition(
  db: Db,
  from: Date,
  to: Date,
): Promise<({ edition: string | null; provider: string } & UsageTotals)[]> {
  const rolled = onBuckets(from, to);
  const t = rolled ? llmUsageRollup : llmUsage;
  const at = rolled ? llmUsageRollup.bucket : llmUsage.createdAt;
  const sum = (c: AnyPgColumn) => sql<string>`coalesce(sum(${c}), 0)::bigint`;
  const rows = await db
    .select({
      edition: editions.date,
      provider: t.provider,
      calls: rolled ? sql<number>`coalesce(sum(${llmUsageRollup.calls}), 0)::int` : sql<number>`count(*)::int`,
      promptTokens: sum(t.promptTokens),
      cachedTokens: sum(t.cachedTokens),
      completionTokens: sum(t.completionTokens),
      cost: sql<string>`coalesce(sum(${t.cost}), 0)`,
    })
    .from(t)
    .leftJoin(editions, eq(editions.id, t.editionId))
    .where(and(gte(at, from), lt(at, to)))
    .groupBy(editions.date, t.provider)
    .having(rolled ? sql`sum(${llmUsageRollup.calls}) <> 0` : undefined)
    .orderBy(sql`${editions.date} desc nulls last`, t.provider);
  return rows.map((r) => ({
    edition: r.edition,
    provider: r.provider,
    calls: Number(r.calls),
    promptTokens: Number(r.promptTokens),
    cachedTokens: Number(r.cachedTokens),
    completionTokens: Number(r.completionTokens),
    cost: Number(r.cost),
  }));
}
