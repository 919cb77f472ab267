/**
 * The console's reads of intraday alerts: the rules with their firings today, and the recent firings
 * (alert_log) with their rule and story. Changes go through `alerts/rules.ts`.
 */
import { asc, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { alertLog, alertRules, storyClusters } from '../schema/index.ts';

/** A rule as the alerts page lists and edits it. */
export type AlertRuleRow = typeof alertRules.$inferSelect & {
  /** Firings of the rule in the local day `day` (what the daily cap counts). */
  today: number;
  lastFiredAt: Date | null;
};

const ruleColumns = (day: string) => ({
  rule: alertRules,
  today: sql<number>`(select count(*)::int from alert_log a where a.rule_id = alert_rules.id and a.day = ${day}
                      and a.status <> 'suppressed')`,
  lastFiredAt: sql<string | null>`(select max(a.created_at) from alert_log a where a.rule_id = alert_rules.id)`,
});

const toRow = (r: { rule: typeof alertRules.$inferSelect; today: number; lastFiredAt: string | Date | null }) => ({
  ...r.rule,
  today: Number(r.today),
  lastFiredAt: r.lastFiredAt ? new Date(r.lastFiredAt) : null,
});

/** Every rule by name, with its firings in the local day `day` (`YYYY-MM-DD` in TZ). */
export async function listAlertRuleRows(db: Db, day: string): Promise<AlertRuleRow[]> {
  const rows = await db.select(ruleColumns(day)).from(alertRules).orderBy(asc(alertRules.name));
  return rows.map(toRow);
}

/** One rule, or null. */
export async function getAlertRuleRow(db: Db, id: number, day: string): Promise<AlertRuleRow | null> {
  const [r] = await db.select(ruleColumns(day)).from(alertRules).where(eq(alertRules.id, id));
  return r ? toRow(r) : null;
}

/** One firing as the alerts page shows it. */
export interface AlertFiringRow {
  id: number;
  ruleId: number;
  ruleName: string;
  storyId: number;
  storyTitle: string;
  status: string;
  reason: string | null;
  targets: { target: string; status: string; error: string | null; at: string }[];
  createdAt: Date;
}

/** The newest firings (of one rule, or of all), newest first. */
export async function recentFirings(db: Db, opts: { ruleId?: number; limit?: number } = {}): Promise<AlertFiringRow[]> {
  return db
    .select({
      id: alertLog.id,
      ruleId: alertLog.ruleId,
      ruleName: alertRules.name,
      storyId: alertLog.storyId,
      storyTitle: storyClusters.title,
      status: alertLog.status,
      reason: alertLog.reason,
      targets: alertLog.targets,
      createdAt: alertLog.createdAt,
    })
    .from(alertLog)
    .innerJoin(alertRules, eq(alertRules.id, alertLog.ruleId))
    .innerJoin(storyClusters, eq(storyClusters.id, alertLog.storyId))
    .where(opts.ruleId ? eq(alertLog.ruleId, opts.ruleId) : undefined)
    .orderBy(desc(alertLog.id))
    .limit(opts.limit ?? 50);
}
