import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { llmUsage } from '../schema/index.ts';

export type UsageRow = typeof llmUsage.$inferSelect;

/** One call attempt for the ledger. */
export interface NewUsage {
  editionId: number | null;
  articleId: number | null;
  provider: string;
  model: string;
  purpose: string;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  latencyMs: number;
  outcome: string;
  error: string | null;
  /** CNY. */
  cost: number;
  createdAt?: Date;
}

/** Token and cost totals of a set of ledger rows. */
export interface UsageTotals {
  calls: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  cost: number;
}

const totals = {
  calls: sql<number>`count(*)::int`,
  promptTokens: sql<number>`coalesce(sum(${llmUsage.promptTokens}), 0)::bigint`,
  cachedTokens: sql<number>`coalesce(sum(${llmUsage.cachedTokens}), 0)::bigint`,
  completionTokens: sql<number>`coalesce(sum(${llmUsage.completionTokens}), 0)::bigint`,
  cost: sql<string>`coalesce(sum(${llmUsage.cost}), 0)`,
};

const toTotals = (
  r: { calls: number; promptTokens: number; cachedTokens: number; completionTokens: number; cost: string } | undefined,
): UsageTotals => ({
  calls: Number(r?.calls ?? 0),
  promptTokens: Number(r?.promptTokens ?? 0),
  cachedTokens: Number(r?.cachedTokens ?? 0),
  completionTokens: Number(r?.completionTokens ?? 0),
  cost: Number(r?.cost ?? 0),
});

/** Appends one row to the ledger. */
export async function recordUsage(db: Db, u: NewUsage): Promise<void> {
  await db.insert(llmUsage).values({ ...u, cost: u.cost.toFixed(6), error: u.error?.slice(0, 500) ?? null });
}

/** CNY spent on calls made at or after `since` (what the daily and monthly budgets compare against). */
export async function spentSince(db: Db, since: Date): Promise<number> {
  const [row] = await db.select({ cost: totals.cost }).from(llmUsage).where(gte(llmUsage.createdAt, since));
  return Number(row?.cost ?? 0);
}

/** Totals of an edition's calls, overall and per provider. */
export async function editionUsage(
  db: Db,
  editionId: number,
): Promise<UsageTotals & { byProvider: Record<string, UsageTotals> }> {
  const rows = await db
    .select({ provider: llmUsage.provider, ...totals })
    .from(llmUsage)
    .where(eq(llmUsage.editionId, editionId))
    .groupBy(llmUsage.provider);
  const byProvider = Object.fromEntries(rows.map((r) => [r.provider, toTotals(r)]));
  const all = Object.values(byProvider).reduce<UsageTotals>(
    (a, t) => ({
      calls: a.calls + t.calls,
      promptTokens: a.promptTokens + t.promptTokens,
      cachedTokens: a.cachedTokens + t.cachedTokens,
      completionTokens: a.completionTokens + t.completionTokens,
      cost: Math.round((a.cost + t.cost) * 1e6) / 1e6,
    }),
    { calls: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0, cost: 0 },
  );
  return { ...all, byProvider };
}

/** Calls, tokens and cost per day (in `timeZone`) and provider over [from, to) — the /admin/usage table. */
export async function usageByDay(
  db: Db,
  from: Date,
  to: Date,
  timeZone: string,
): Promise<({ day: string; provider: string } & UsageTotals)[]> {
  const day = sql<string>`to_char(${llmUsage.createdAt} at time zone ${timeZone}, 'YYYY-MM-DD')`;
  const rows = await db
    .select({ day, provider: llmUsage.provider, ...totals })
    .from(llmUsage)
    .where(and(gte(llmUsage.createdAt, from), lt(llmUsage.createdAt, to)))
    // By position: the zone is a bound parameter, so the select's and the group's expressions would differ.
    .groupBy(sql`1`, sql`2`)
    .orderBy(sql`1`, sql`2`);
  return rows.map((r) => ({ day: r.day, provider: r.provider, ...toTotals(r) }));
}

/** The ledger rows of an edition, oldest first (tests and the admin's detail view). */
export async function listEditionUsage(db: Db, editionId: number): Promise<UsageRow[]> {
  return db.select().from(llmUsage).where(eq(llmUsage.editionId, editionId)).orderBy(asc(llmUsage.id));
}
