import { listEditionLines } from '../../../db/queries/console-reports.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { queryParam } from './edition.ts';

const PAGE_SIZE = 30;

/** `GET /reports`: the editions, newest first, with delivery counts and LLM cost, paged. */
export const reportsList: WebRoute = (app, deps) => {
  app.get('/reports', { config: { auth: 'viewer' } }, async (req, reply) => {
    const page = Math.min(Math.max(1, Number.parseInt(queryParam(req, 'page'), 10) || 1), 10_000);
    const { total, lines } = await listEditionLines(deps.db, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/reports.tsx')).ReportsListPage, { ctx, lines, page, pageSize: PAGE_SIZE, total }),
    );
  });
};
