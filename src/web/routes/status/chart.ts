import type { WebRoute } from '../../deps.ts';
import { series } from '../../../db/queries/status-samples.ts';
import { translator } from '../../i18n/index.ts';
import { CHARTS, chartOption, isRange, metricsOf, RANGES } from './chart-options.ts';

/**
 * `GET /admin/status/charts/:chart?range=1h|6h|24h|7d`: one trend of the status page as an ECharts option
 * (latency, queues, database, redis), from the samples of the range in buckets. Drawn by static/charts.js,
 * asked again every 30 s.
 */
export const statusChart: WebRoute = (app, deps) => {
  app.get('/admin/status/charts/:chart', { config: { auth: 'viewer' } }, async (req, reply) => {
    const { chart } = req.params as { chart: string };
    if (!Object.hasOwn(CHARTS, chart)) return reply.code(404).send({ error: 'not_found', message: 'no such chart' });
    const asked = (req.query as { range?: unknown }).range;
    const range = RANGES[isRange(asked) ? asked : '6h'];
    const from = new Date(Date.now() - range.span * 1000);
    const points = await series(deps.db, metricsOf(chart), from, range.bucket);
    return reply
      .header('cache-control', 'no-store')
      .send(chartOption(chart, points, translator(req.lang), deps.config.timeZone));
  });
};
