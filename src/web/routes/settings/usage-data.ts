/**
 * What the usage page and its charts share: the date range they read (days in the configured zone, the last
 * 30 by default), the budgets against the ledger's spend, and the ECharts options built from them.
 */
import type { Config } from '../../../config/index.ts';
import { effectiveConfig } from '../../../config/overrides.ts';
import type { Db } from '../../../db/client.ts';
import { llmUsageQ } from '../../../db/queries/index.ts';
import { periodStarts } from '../../../extract/budget.ts';
import { dateInZone, zonedToUtc } from '../../../lib/time.ts';

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;

/** A range of whole days in the configured zone: `from`..`to` inclusive, as the instants [fromAt, toAt). */
export interface DayRange {
  from: string;
  to: string;
  fromAt: Date;
  toAt: Date;
  days: string[];
}

const addDays = (d: string, n: number) =>
  new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const valid = (v: unknown): v is string => typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(v));
const startOf = (d: string, tz: string) => {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  return zonedToUtc(y, m, day, 0, 0, tz);
};

/** `?from=&to=` (YYYY-MM-DD) or the last 30 days up to today; at most a year, in order. */
export function dayRange(query: Record<string, unknown>, timeZone: string, now: Date): DayRange {
  let to = valid(query.to) ? query.to : dateInZone(now, timeZone);
  let from = valid(query.from) ? query.from : addDays(to, -29);
  if (from > to) [from, to] = [to, from];
  if (Date.parse(to) - Date.parse(from) >= MAX_DAYS * DAY_MS) from = addDays(to, -(MAX_DAYS - 1));
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return { from, to, fromAt: startOf(from, timeZone), toAt: startOf(addDays(to, 1), timeZone), days };
}

/** Today's and this month's spend against the budgets in effect (overrides included); cap null = none. */
export async function budgets(db: Db, config: Config, now: Date) {
  const { llm } = await effectiveConfig(db, config);
  const starts = periodStarts(now, config.timeZone);
  return {
    day: { spent: await llmUsageQ.spentSince(db, starts.day), cap: llm.dailyBudget },
    month: { spent: await llmUsageQ.spentSince(db, starts.month), cap: llm.monthlyBudget },
  };
}

/** Cost per day, one stacked bar series per provider (every day of the range, 0 where nothing was spent). */
export function costOption(
  rows: { day: string; provider: string; cost: number }[],
  days: string[],
  /** Shown across a chart with no call in the range, instead of bare axes. */
  emptyText = '',
) {
  const providers = [...new Set(rows.map((r) => r.provider))].sort();
  const cost = new Map(rows.map((r) => [`${r.day}|${r.provider}`, r.cost]));
  return {
    ...(providers.length === 0 &&
      emptyText && {
        title: {
          text: emptyText,
          left: 'center',
          top: 'middle',
          textStyle: { color: '#5b6472', fontSize: 13, fontWeight: 'normal' },
        },
      }),
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: providers },
    grid: { left: 48, right: 16, top: 36, bottom: 28, containLabel: true },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
    yAxis: { type: 'value', axisLabel: { formatter: '¥{value}' } },
    series: providers.map((p) => ({
      name: p,
      type: 'bar',
      stack: 'cost',
      data: days.map((d) => Math.round((cost.get(`${d}|${p}`) ?? 0) * 1e4) / 1e4),
    })),
  };
}

/** A gauge of spend against its cap (no cap: the dial runs to the spend, grey). */
export function budgetOption(b: { spent: number; cap: number | null }, title: string) {
  const spent = Math.round(b.spent * 1e4) / 1e4;
  const max = b.cap && b.cap > 0 ? b.cap : Math.max(1, Math.ceil(spent * 1.25));
  const share = b.cap ? spent / b.cap : 0;
  const color = b.cap === null ? '#8a94a6' : share >= 1 ? '#b3261e' : share >= 0.8 ? '#c98a00' : '#1e7b3c';
  return {
    title: { text: title, left: 'center', top: 0, textStyle: { fontSize: 14 } },
    series: [
      {
        type: 'gauge',
        min: 0,
        max,
        center: ['50%', '60%'],
        progress: { show: true, width: 14, itemStyle: { color } },
        axisLine: { lineStyle: { width: 14 } },
        pointer: { show: false },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        detail: { valueAnimation: false, formatter: '¥{value}', fontSize: 20, offsetCenter: [0, '10%'] },
        data: [{ value: spent, name: b.cap === null ? '—' : `/ ¥${b.cap}` }],
        title: { offsetCenter: [0, '40%'], fontSize: 12 },
      },
    ],
  };
}
