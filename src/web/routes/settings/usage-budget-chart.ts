import type { WebRoute } from '../../deps.ts';
import { translator } from '../../i18n/index.ts';
import { budgetOption, budgets } from './usage-data.ts';

/** `GET /admin/usage/budget/day.json` and `…/month.json`: a gauge of the spend against the budget in effect. */
export const usageBudgetChart: WebRoute = (app, deps) => {
  app.get<{ Params: { period: string } }>(
    '/admin/usage/budget/:period',
    { config: { auth: 'viewer' } },
    async (req, reply) => {
      const period = req.params.period.replace(/\.json$/, '');
      if (period !== 'day' && period !== 'month')
        return reply.code(404).send({ error: 'not_found', message: 'expected day.json or month.json' });
      const b = (await budgets(deps.db, deps.config, new Date()))[period];
      const t = translator(req.lang);
      const title = t(period === 'day' ? 'usage.budgetDay' : 'usage.budgetMonth');
      return reply.header('cache-control', 'no-store').send(budgetOption(b, title));
    },
  );
};
