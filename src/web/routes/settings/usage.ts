import { usageByEdition } from '../../../db/queries/console-usage.ts';
import { llmUsageQ } from '../../../db/queries/index.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { budgets, dayRange } from './usage-data.ts';

/**
 * `GET /admin/usage`: LLM calls, tokens, cache hits and cost per provider per day and per edition over a
 * date range (the last 30 days by default), the budget gauges and the cost-per-day chart.
 */
export const usagePage: WebRoute = (app, deps) => {
  app.get('/admin/usage', { config: { auth: 'viewer' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const range = dayRange(req.query as Record<string, unknown>, deps.config.timeZone, new Date());
    const [byDay, byEdition, budget] = [
      await llmUsageQ.usageByDay(deps.db, range.fromAt, range.toAt, deps.config.timeZone),
      await usageByEdition(deps.db, range.fromAt, range.toAt),
      await budgets(deps.db, deps.config, new Date()),
    ];
    const props = { ctx, range, byDay, byEdition, budget };
    return sendPage(reply, async (h) => h((await import('../../views/usage.tsx')).UsagePage, props));
  });
};
