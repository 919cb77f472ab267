import { companyStories } from '../../../db/queries/console-articles.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { companyKey, periodQuery } from './params.ts';

/** The company page's periods, in days. */
export const COMPANY_PERIODS = [30, 90, 365] as const;
const query = periodQuery(COMPANY_PERIODS, 90);

/**
 * `GET /companies/:key?days=`: every story naming the company (by ticker, or by name when it has none) over the
 * period, newest first, under its sentiment trend (drawn from `/companies/:key/trend`).
 */
export const articlesCompany: WebRoute = (app, deps) => {
  app.get('/companies/:key', { config: { auth: 'viewer' } }, async (req, reply) => {
    const key = companyKey((req.params as { key: string }).key);
    const { days } = query.parse(req.query ?? {});
    const stories = key ? await companyStories(deps.db, key, new Date(Date.now() - days * 86_400_000), 500) : [];
    const ctx = pageContext(req, reply);
    return sendPage(
      reply,
      async (h) =>
        h((await import('../../views/articles-company.tsx')).CompanyPage, {
          ctx,
          companyKey: key ?? '',
          days,
          periods: COMPANY_PERIODS,
          stories,
        }),
      key ? 200 : 404,
    );
  });
};
