/** The company page's sentiment trend: per day, stories by sentiment and their average score, as an ECharts option. */
import type { CompanyDay } from '../../../db/queries/console-companies.ts';
import { dateInZone } from '../../../lib/time.ts';
import { SENTIMENT_COLORS } from '../../../report/format.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { SENTIMENTS } from './params.ts';

/** One day of the trend. */
export interface TrendDay {
  date: string;
  stories: number;
  positive: number;
  neutral: number;
  negative: number;
  /** The average sentiment score (-1…1) of the day's stories; null on a day without any. */
  avg_score: number | null;
}

/** Every day of the last `days` (in `timeZone`), oldest first, with the stories of each (counted per day by SQL). */
export function trendOf(counts: CompanyDay[], days: number, timeZone: string, now = new Date()): TrendDay[] {
  const out = new Map<string, TrendDay & { sum: number }>();
  for (let i = days - 1; i >= 0; i--) {
    const date = dateInZone(new Date(now.getTime() - i * 86_400_000), timeZone);
    out.set(date, { date, stories: 0, positive: 0, neutral: 0, negative: 0, avg_score: null, sum: 0 });
  }
  for (const c of counts) {
    const d = out.get(c.date);
    if (!d) continue;
    d.stories += c.stories;
    if ((SENTIMENTS as readonly string[]).includes(c.sentiment))
      d[c.sentiment as (typeof SENTIMENTS)[number]] += c.stories;
    d.sum += c.scoreSum;
  }
  return [...out.values()].map(({ sum, ...d }) => ({
    ...d,
    avg_score: d.stories > 0 ? Math.round((sum / d.stories) * 100) / 100 : null,
  }));
}

/** Stacked bars of the day's stories by sentiment (report colours: red 利好, green 利空) and a line of the average. */
export function trendOption(trend: TrendDay[], t: (k: MessageKey) => string) {
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 30, bottom: 30, containLabel: true },
    xAxis: { type: 'category', data: trend.map((d) => d.date.slice(5)) },
    yAxis: [
      { type: 'value', name: t('companies.count'), minInterval: 1 },
      { type: 'value', name: t('companies.avgScore'), min: -1, max: 1 },
    ],
    series: [
      ...SENTIMENTS.map((s) => ({
        name: t(`articles.sentiment.${s}`),
        type: 'bar',
        stack: 'stories',
        itemStyle: { color: SENTIMENT_COLORS[s].bar },
        data: trend.map((d) => d[s]),
      })),
      {
        name: t('companies.avgScore'),
        type: 'line',
        yAxisIndex: 1,
        connectNulls: true,
        itemStyle: { color: '#1d4ed8' },
        data: trend.map((d) => d.avg_score),
      },
    ],
  };
}
