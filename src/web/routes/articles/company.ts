import { companyName, companyStories } from '../../../db/queries/console-companies.ts';
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
    const since = new Date(Date.now() - days * 86_400_000);
    const [stories, company] = key
      ? await Promise.all([companyStories(deps.db, key, since, 500), companyName(deps.db, key)])
      : [[], null];
    const ctx = pageContext(req, reply);
    return sendPage(
      reply,
      async (h) =>
        h((await import('../../views/articles-company.tsx')).CompanyPage, {
          ctx,
          companyKey: key ?? '',
          company,
          days,
          periods: COMPANY_PERIODS,
          stories,
        }),
      key ? 200 : 404,
    );
  });
};
