/**
 * The /admin/usage page's ledger queries: per edition and provider (the per-day one is `llm-usage.ts`'s
 * `usageByDay`), each one grouped statement over the chosen range.
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { editions, llmUsage } from '../schema/index.ts';
import type { UsageTotals } from './llm-usage.ts';

/** Calls, tokens and cost per edition and provider over [from, to), newest edition first; calls outside an edition under `null`. */
export async function usageByEdition(
  db: Db,
  from: Date,
  to: Date,
): Promise<({ edition: string | null; provider: string } & UsageTotals)[]> {
  const rows = await db
    .select({
      edition: editions.date,
      provider: llmUsage.provider,
      calls: sql<number>`count(*)::int`,
      promptTokens: sql<string>`coalesce(sum(${llmUsage.promptTokens}), 0)::bigint`,
      cachedTokens: sql<string>`coalesce(sum(${llmUsage.cachedTokens}), 0)::bigint`,
      completionTokens: sql<string>`coalesce(sum(${llmUsage.completionTokens}), 0)::bigint`,
      cost: sql<string>`coalesce(sum(${llmUsage.cost}), 0)`,
    })
    .from(llmUsage)
    .leftJoin(editions, eq(editions.id, llmUsage.editionId))
    .where(and(gte(llmUsage.createdAt, from), lt(llmUsage.createdAt, to)))
    .groupBy(editions.date, llmUsage.provider)
    .orderBy(sql`${editions.date} desc nulls last`, llmUsage.provider);
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
