/**
 * The operational conditions both alerting shapes watch: the scheduled edition against its deadline and the
 * LLM spend against the budgets. Prometheus reads them as gauges (metrics-cluster.ts, alerted on by
 * deploy/prometheus/rules); without Prometheus, the operational alerts (alerts.ts) push them to the channels.
 * Both read the configuration as it applies now (`effectiveConfig`: the admin may override the schedule and
 * the budgets at run time) and are given it.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { editionsQ, llmUsageQ } from '../db/queries/index.ts';
import { periodStarts } from '../extract/budget.ts';
import { dateInZone, zonedToUtc } from '../lib/time.ts';

/** Edition statuses that count as delivered. */
export const DELIVERED = new Set(['delivered', 'partial']);

/** The edition against its schedule at a moment. */
export interface EditionSchedule {
  /** The last delivered edition: its date, when, and its delivery minus its schedule (EDITION_CUTOFF). */
  lastDeliveredDate: string | null;
  lastDeliveredAt: Date | null;
  lastLagSec: number | null;
  /** The edition of the last fire of SCHEDULE_CRON at or before the moment, and its deadline. */
  scheduledDate: string;
  deadlineAt: Date;
  /** Past its deadline and not delivered. */
  overdue: boolean;
}

/** The last scheduled edition (SCHEDULE_CRON) against EDITION_DEADLINE, and the last delivered one. */
export async function editionSchedule(db: Db, config: Config, at: Date): Promise<EditionSchedule> {
  const tz = config.timeZone;
  const recent = await editionsQ.listEditions(db, 10);
  const last = recent.find((e) => e.deliveredAt && DELIVERED.has(e.status));
  const fire = CronExpressionParser.parse(config.report.cron, { tz, currentDate: new Date(at.getTime() + 1) })
    .prev()
    .toDate();
  const scheduledDate = dateInZone(fire, tz);
  const deadline = localTime(scheduledDate, config.report.deadline, tz);
  const deadlineAt = deadline.getTime() < fire.getTime() ? fire : deadline;
  const scheduled =
    recent.find((e) => e.date === scheduledDate) ?? (await editionsQ.findEditionByDate(db, scheduledDate));
  return {
    lastDeliveredDate: last?.date ?? null,
    lastDeliveredAt: last?.deliveredAt ?? null,
    lastLagSec: last?.deliveredAt
      ? (last.deliveredAt.getTime() - localTime(last.date, config.report.cutoff, tz).getTime()) / 1000
      : null,
    scheduledDate,
    deadlineAt,
    overdue: at.getTime() > deadlineAt.getTime() && !(scheduled && DELIVERED.has(scheduled.status)),
  };
}

/** LLM spend of one budget period. */
export interface BudgetUse {
  period: 'day' | 'month';
  /** The period in TZ: `2026-12-05` or `2026-12`. */
  periodKey: string;
  spent: number;
  /** LLM_DAILY_BUDGET / LLM_MONTHLY_BUDGET; null when not set. */
  limit: number | null;
}

/** The spend in the ledger of the current day and month (TZ) against their budgets. */
export async function budgetUse(db: Db, config: Config, at: Date): Promise<BudgetUse[]> {
  const starts = periodStarts(at, config.timeZone);
  const day = dateInZone(at, config.timeZone);
  return [
    { period: 'day', periodKey: day, spent: await llmUsageQ.spentSince(db, starts.day), limit: config.llm.dailyBudget },
    {
      period: 'month',
      periodKey: day.slice(0, 7),
      spent: await llmUsageQ.spentSince(db, starts.month),
      limit: config.llm.monthlyBudget,
    },
  ];
}

/** `HH:MM` on `date` (YYYY-MM-DD) in `tz`. */
export function localTime(date: string, hhmm: string, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  return zonedToUtc(y, m, d, hh, mm, tz);
}
