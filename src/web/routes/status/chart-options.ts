/**
 * The ECharts options of /admin/status's trends, built from `status_samples` on the server (static/charts.js
 * only draws them). Each chart is a few named series over a time axis; a range picks the bucket so that a
 * series stays a few hundred points whether it spans an hour or the seven days kept.
 */
import type { SeriesPoint } from '../../../db/queries/status-samples.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { zoneOffsetMs } from '../../../lib/time.ts';
import { QUEUES } from '../../../pipeline/queue.ts';

/** The ranges offered, with their span and bucket, in seconds. */
export const RANGES = {
  '1h': { span: 3600, bucket: 30 },
  '6h': { span: 6 * 3600, bucket: 120 },
  '24h': { span: 86_400, bucket: 300 },
  '7d': { span: 7 * 86_400, bucket: 1800 },
} as const;
export type Range = keyof typeof RANGES;

export const isRange = (v: unknown): v is Range => typeof v === 'string' && v in RANGES;

/** A series: the metrics it sums, its label, its axis (0 left, 1 right) and a scale (bytes → MB). */
interface SeriesSpec {
  metrics: string[];
  label: MessageKey | string;
  axis?: 0 | 1;
  scale?: number;
}

/** The charts, by the name in their URL (`/admin/status/charts/:chart`). */
export const CHARTS: Record<string, { title: MessageKey; series: SeriesSpec[]; axes?: 2 }> = {
  latency: {
    title: 'status.chart.latency',
    series: [
      { metrics: ['web.p50_ms'], label: 'status.p50' },
      { metrics: ['web.p95_ms'], label: 'status.p95' },
    ],
  },
  queues: {
    title: 'status.chart.queues',
    series: [
      ...QUEUES.map((q) => ({ metrics: [`queue.${q}.waiting`], label: q })),
      { metrics: QUEUES.map((q) => `queue.${q}.failed`), label: 'status.series.failed' },
    ],
  },
  database: {
    title: 'status.chart.database',
    axes: 2,
    series: [
      { metrics: ['db.connections'], label: 'status.series.connections' },
      { metrics: ['db.size_bytes'], label: 'status.series.sizeMb', axis: 1, scale: 1 / 1048576 },
    ],
  },
  redis: {
    title: 'status.chart.redis',
    axes: 2,
    series: [
      { metrics: ['redis.used_memory_bytes'], label: 'status.series.memoryMb', scale: 1 / 1048576 },
      { metrics: ['redis.clients'], label: 'status.series.clients', axis: 1 },
    ],
  },
};

/** Every metric a chart reads. */
export const metricsOf = (chart: string): string[] => CHARTS[chart]!.series.flatMap((s) => s.metrics);

/**
 * The chart's ECharts option from the bucketed points; `t` names a series in the page's language (queue
 * names stay as they are). ECharts draws a time axis in the browser's zone or in UTC, never in another, so
 * each instant is moved by `timeZone`'s offset and drawn as UTC: the axis and tooltip show the wall clock of
 * the configured zone, like every other time on the page.
 */
export function chartOption(chart: string, points: SeriesPoint[], t: (key: MessageKey) => string, timeZone: string) {
  const spec = CHARTS[chart]!;
  const name = (label: string) => (label.startsWith('status.') ? t(label as MessageKey) : label);
  const series = spec.series.map((s) => {
    const sums = new Map<number, number>();
    for (const p of points) if (s.metrics.includes(p.metric)) sums.set(p.t, (sums.get(p.t) ?? 0) + p.value);
    const data = [...sums]
      .sort((a, b) => a[0] - b[0])
      .map(([at, v]) => [at + zoneOffsetMs(at, timeZone), round(v * (s.scale ?? 1))]);
    return { name: name(s.label), type: 'line', showSymbol: data.length < 3, yAxisIndex: s.axis ?? 0, data };
  });
  const axis = { type: 'value', min: 0, splitLine: { lineStyle: { color: '#eee' } } };
  // An empty chart says so (e.g. the queues without Redis), instead of bare axes.
  const empty = series.every((s) => s.data.length === 0);
  return {
    ...(empty && {
      title: {
        text: t('status.chart.empty'),
        left: 'center',
        top: 'middle',
        textStyle: { color: '#5b6472', fontSize: 13, fontWeight: 'normal' },
      },
    }),
    animation: false,
    useUTC: true,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'time', splitNumber: 4, axisLabel: { hideOverlap: true } },
    yAxis: spec.axes === 2 ? [axis, { ...axis, splitLine: { show: false } }] : [axis],
    series,
  };
}

const round = (v: number) => Math.round(v * 100) / 100;
