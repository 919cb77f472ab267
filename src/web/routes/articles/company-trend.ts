import { companyStories } from '../../../db/queries/console-articles.ts';
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
    const stories = await companyStories(deps.db, key, new Date(Date.now() - days * 86_400_000));
    const trend = trendOf(stories, days, deps.config.timeZone);
    return reply
      .header('cache-control', 'no-store')
      .send({ company: key, days, trend, option: trendOption(trend, translator(req.lang)) });
  });
};
