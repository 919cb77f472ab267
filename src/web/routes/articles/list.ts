import { COUNT_CAP, searchArticles, sourceOptions } from '../../../db/queries/console-articles.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { articlesQuery, filtersOf } from './params.ts';

const PAGE_SIZE = 50;

/**
 * `GET /articles`: search titles and summaries (Chinese substrings, by the bigram index) with filters by date,
 * source, category, sentiment and company, newest first, paged.
 */
export const articlesList: WebRoute = (app, deps) => {
  app.get('/articles', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = articlesQuery.parse(req.query ?? {});
    const [{ rows, total }, sources] = await Promise.all([
      searchArticles(deps.db, filtersOf(q, deps.config.timeZone), q.page, PAGE_SIZE),
      sourceOptions(deps.db),
    ]);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/articles.tsx')).ArticlesPage, {
        ctx,
        query: q,
        rows,
        total,
        capped: total > COUNT_CAP,
        cap: COUNT_CAP,
        pageSize: PAGE_SIZE,
        sources,
      }),
    );
  });
};
