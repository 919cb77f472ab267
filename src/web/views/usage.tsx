/**
 * 模型用量: the LLM ledger over a date range — totals, budget gauges, cost per day by provider (ECharts), and
 * tables per provider, per day and per edition. Provider names come from configuration; React escapes them.
 */
import type { ReactNode } from 'react';
import type { UsageTotals } from '../../db/queries/llm-usage.ts';
import type { DayRange } from '../routes/settings/usage-data.ts';
import type { PageContext } from './layout.tsx';
import { Chart, Field, FilterBar, formatNumber, Page, Panel, queryString, Stat, Table } from './ui.tsx';

type Row = UsageTotals & { provider: string };

export interface UsageProps {
  ctx: PageContext;
  range: DayRange;
  byDay: (Row & { day: string })[];
  byEdition: (Row & { edition: string | null })[];
  budget: Record<'day' | 'month', { spent: number; cap: number | null }>;
}

const ZERO: UsageTotals = { calls: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0, cost: 0 };
const add = (a: UsageTotals, b: UsageTotals): UsageTotals => ({
  calls: a.calls + b.calls,
  promptTokens: a.promptTokens + b.promptTokens,
  cachedTokens: a.cachedTokens + b.cachedTokens,
  completionTokens: a.completionTokens + b.completionTokens,
  cost: Math.round((a.cost + b.cost) * 1e6) / 1e6,
});

export function UsagePage({ ctx, range, byDay, byEdition, budget }: UsageProps) {
  const { t } = ctx;
  const total = byDay.reduce(add, ZERO);
  const perProvider = new Map<string, UsageTotals>();
  for (const r of byDay) perProvider.set(r.provider, add(perProvider.get(r.provider) ?? ZERO, r));
  const q = queryString({ from: range.from, to: range.to });
  return (
    <Page ctx={ctx} title={t('usage.title')} scripts={['charts.js']}>
      <div className="usage">
        <FilterBar ctx={ctx}>
          <Field type="date" name="from" label={t('ui.from')} value={range.from} />
          <Field type="date" name="to" label={t('ui.to')} value={range.to} />
        </FilterBar>
        <div className="stats">
          <Stat label={t('usage.cost')} value={`¥${formatNumber(ctx, total.cost, 4)}`} />
          <Stat label={t('usage.calls')} value={formatNumber(ctx, total.calls)} />
          <Stat label={t('usage.prompt')} value={formatNumber(ctx, total.promptTokens)} />
          <Stat label={t('usage.cached')} value={formatNumber(ctx, total.cachedTokens)} hint={hitRatio(ctx, total)} />
          <Stat label={t('usage.completion')} value={formatNumber(ctx, total.completionTokens)} />
        </div>
        <Panel title={t('usage.budgets')}>
          <div className="usage-gauges">
            {(['day', 'month'] as const).map((p) => (
              <div key={p}>
                <Chart
                  src={`/admin/usage/budget/${p}.json`}
                  height={220}
                  refreshSec={60}
                  label={t(p === 'day' ? 'usage.budgetDay' : 'usage.budgetMonth')}
                />
                <p className="muted usage-budget-line">
                  {budget[p].cap === null
                    ? t('usage.spentNoCap', { spent: formatNumber(ctx, budget[p].spent, 4) })
                    : t('usage.spentOf', {
                        spent: formatNumber(ctx, budget[p].spent, 4),
                        cap: formatNumber(ctx, budget[p].cap, 2),
                      })}
                </p>
              </div>
            ))}
          </div>
          <p className="muted">
            {t('usage.budgetNote')} <a href="/settings#LLM_DAILY_BUDGET">{t('nav.settings')}</a>
          </p>
        </Panel>
        <Panel title={t('usage.costPerDay')}>
          <Chart src={`/admin/usage/cost.json?${q}`} label={t('usage.costPerDay')} />
        </Panel>
        <Panel title={t('usage.perProvider')}>
          <Table
            ctx={ctx}
            head={head(ctx, t('usage.provider'))}
            rows={[...perProvider].map(([p, r]) => cells(ctx, [p], r))}
          />
        </Panel>
        <Panel title={t('usage.perDay')}>
          <Table
            ctx={ctx}
            head={head(ctx, t('usage.day'), t('usage.provider'))}
            rows={[...byDay].reverse().map((r) => cells(ctx, [r.day, r.provider], r))}
          />
        </Panel>
        <Panel title={t('usage.perEdition')}>
          <Table
            ctx={ctx}
            head={head(ctx, t('usage.edition'), t('usage.provider'))}
            rows={byEdition.map((r) =>
              cells(
                ctx,
                [r.edition ? <a href={`/reports/${r.edition}`}>{r.edition}</a> : t('usage.noEdition'), r.provider],
                r,
              ),
            )}
          />
        </Panel>
      </div>
    </Page>
  );
}

function hitRatio(ctx: PageContext, r: UsageTotals): string {
  return r.promptTokens > 0 ? `${formatNumber(ctx, (100 * r.cachedTokens) / r.promptTokens, 1)}%` : '—';
}

function head(ctx: PageContext, ...first: string[]) {
  const { t } = ctx;
  const num = (s: string) => <span className="num">{s}</span>;
  return [
    ...first,
    num(t('usage.calls')),
    num(t('usage.prompt')),
    num(t('usage.cached')),
    num(t('usage.hitRatio')),
    num(t('usage.completion')),
    num(t('usage.costCny')),
  ];
}

function cells(ctx: PageContext, first: ReactNode[], r: UsageTotals) {
  const n = (v: string) => <span className="num">{v}</span>;
  return [
    ...first,
    n(formatNumber(ctx, r.calls)),
    n(formatNumber(ctx, r.promptTokens)),
    n(formatNumber(ctx, r.cachedTokens)),
    n(hitRatio(ctx, r)),
    n(formatNumber(ctx, r.completionTokens)),
    n(formatNumber(ctx, r.cost, 4)),
  ];
}
