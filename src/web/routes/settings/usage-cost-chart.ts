import { llmUsageQ } from '../../../db/queries/index.ts';
import type { WebRoute } from '../../deps.ts';
import { translator } from '../../i18n/index.ts';
import { costOption, dayRange } from './usage-data.ts';

/** `GET /admin/usage/cost.json?from=&to=`: the ECharts option of the cost per day, stacked by provider. */
export const usageCostChart: WebRoute = (app, deps) => {
  app.get('/admin/usage/cost.json', { config: { auth: 'viewer' } }, async (req, reply) => {
    const range = dayRange(req.query as Record<string, unknown>, deps.config.timeZone, new Date());
    const rows = await llmUsageQ.usageByDay(deps.db, range.fromAt, range.toAt, deps.config.timeZone);
    return reply
      .header('cache-control', 'no-store')
      .send(costOption(rows, range.days, translator(req.lang)('ui.chartEmpty')));
  });
};
