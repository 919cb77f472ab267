import { companyDays } from '../../../db/queries/console-companies.ts';
import type { WebRoute } from '../../deps.ts';
import { translator } from '../../i18n/index.ts';
import { COMPANY_PERIODS } from './company.ts';
import { companyKey, periodQuery } from './params.ts';
import { trendOf, trendOption } from './trend-option.ts';

const query = periodQuery(COMPANY_PERIODS, 90);

/**
 * `GET /companies/:key/trend?days=`: the company's stories per day by sentiment and the average score, as
 * `{ company, days, trend, option }` — `option` is what static/charts.js draws.
 */
export const articlesCompanyTrend: WebRoute = (app, deps) => {
  app.get('/companies/:key/trend', { config: { auth: 'viewer' } }, async (req, reply) => {
    const key = companyKey((req.params as { key: string }).key);
    if (!key) return reply.code(404).send({ error: 'not_found', message: 'no such company' });
    const { days } = query.parse(req.query ?? {});
    const now = new Date();
    const since = new Date(now.getTime() - days * 86_400_000);
    const trend = trendOf(
      await companyDays(deps.db, key, since, deps.config.timeZone),
      days,
      deps.config.timeZone,
      now,
    );
    return reply
      .header('cache-control', 'no-store')
      .send({ company: key, days, trend, option: trendOption(trend, translator(req.lang)) });
  });
};
