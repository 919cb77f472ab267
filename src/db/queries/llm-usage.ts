import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { llmUsage, llmUsageRollup } from '../schema/index.ts';

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

/** The same totals summed from the ledger's quarter-hour rollup (`llm_usage_rollup`). */
const rolledTotals = {
  calls: sql<number>`coalesce(sum(${llmUsageRollup.calls}), 0)::int`,
  promptTokens: sql<number>`coalesce(sum(${llmUsageRollup.promptTokens}), 0)::bigint`,
  cachedTokens: sql<number>`coalesce(sum(${llmUsageRollup.cachedTokens}), 0)::bigint`,
  completionTokens: sql<number>`coalesce(sum(${llmUsageRollup.completionTokens}), 0)::bigint`,
  cost: sql<string>`coalesce(sum(${llmUsageRollup.cost}), 0)`,
};

const QUARTER_HOUR_MS = 900_000;

/**
 * Whether every instant is a quarter-hour boundary, where the rollup's buckets start: then a sum over the
 * rollup equals the sum over the ledger (a day or month start in any time zone is one).
 */
export const onBuckets = (...at: Date[]) => at.every((d) => d.getTime() % QUARTER_HOUR_MS === 0);

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

/**
 * CNY spent on calls made at or after `since` (what the daily and monthly budgets compare against): from the
 * quarter-hour rollup when `since` starts a bucket, else from the ledger.
 */
export async function spentSince(db: Db, since: Date): Promise<number> {
  const [row] = onBuckets(since)
    ? await db.select({ cost: rolledTotals.cost }).from(llmUsageRollup).where(gte(llmUsageRollup.bucket, since))
    : await db.select({ cost: totals.cost }).from(llmUsage).where(gte(llmUsage.createdAt, since));
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

/**
 * Calls, tokens and cost per day (in `timeZone`) and provider over [from, to) — the /admin/usage table: a few
 * thousand quarter-hour sums of the rollup when the range starts and ends on buckets, else the ledger's calls.
 */
export async function usageByDay(
  db: Db,
  from: Date,
  to: Date,
  timeZone: string,
): Promise<({ day: string; provider: string } & UsageTotals)[]> {
  const rolled = onBuckets(from, to);
  const t = rolled ? llmUsageRollup : llmUsage;
  const at = rolled ? llmUsageRollup.bucket : llmUsage.createdAt;
  const day = sql<string>`to_char(${at} at time zone ${timeZone}, 'YYYY-MM-DD')`;
  const rows = await db
    .select({ day, provider: t.provider, ...(rolled ? rolledTotals : totals) })
    .from(t)
    .where(and(gte(at, from), lt(at, to)))
    // By position: the zone is a bound parameter, so the select's and the group's expressions would differ.
    .groupBy(sql`1`, sql`2`)
    .having(rolled ? sql`sum(${llmUsageRollup.calls}) <> 0` : undefined)
    .orderBy(sql`1`, sql`2`);
  return rows.map((r) => ({ day: r.day, provider: r.provider, ...toTotals(r) }));
}

/** The ledger rows of an edition, oldest first (tests and the admin's detail view). */
export async function listEditionUsage(db: Db, editionId: number): Promise<UsageRow[]> {
  return db.select().from(llmUsage).where(eq(llmUsage.editionId, editionId)).orderBy(asc(llmUsage.id));
}
