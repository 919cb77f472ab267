/**
 * The LLM budgets (`LLM_DAILY_BUDGET`, `LLM_MONTHLY_BUDGET`, CNY): what the ledger already holds for the
 * current day and month in `TZ`, plus what this run spends. Once either is reached, LLM calls stop and the
 * chain degrades to the local extractor. Calls already in flight finish, so a run can overshoot by at most
 * the cost of the calls in flight when the limit is crossed.
 */
import { zonedParts, zonedToUtc } from '../lib/time.ts';

/** Midnight of the day and of the first of the month, in `timeZone`. */
export function periodStarts(now: Date, timeZone: string): { day: Date; month: Date } {
  const p = zonedParts(now, timeZone);
  return {
    day: zonedToUtc(p.year, p.month, p.day, 0, 0, timeZone),
    month: zonedToUtc(p.year, p.month, 1, 0, 0, timeZone),
  };
}

export class BudgetGuard {
  private spent = 0;

  constructor(
    private readonly limits: { daily: number | null; monthly: number | null },
    /** Cost already in the ledger for today and for this month. */
    private readonly before: { day: number; month: number },
  ) {}

  /** True when a limit is set. */
  get active(): boolean {
    return this.limits.daily !== null || this.limits.monthly !== null;
  }

  /** Counts a call's cost. */
  add(cost: number): void {
    this.spent += cost;
  }

  /** The reason LLM calls must stop, or null while both budgets have room. */
  exceeded(): string | null {
    const { daily, monthly } = this.limits;
    const day = this.before.day + this.spent;
    const month = this.before.month + this.spent;
    if (daily !== null && day >= daily)
      return `daily LLM budget ${daily} CNY reached (spent ${day.toFixed(4)} CNY today)`;
    if (monthly !== null && month >= monthly)
      return `monthly LLM budget ${monthly} CNY reached (spent ${month.toFixed(4)} CNY this month)`;
    return null;
  }
}
