import { z } from 'zod';
import { findCompanies } from '../../../db/queries/console-companies.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

const query = z.object({ q: z.string().trim().max(60).catch('').default('') });

/** How far back a name search looks in the facts. */
const SEARCH_DAYS = 365;

/**
 * `GET /companies?q=`: companies whose name or ticker contains `q`, from the stories' facts; one exact match goes
 * straight to its page.
 */
export const articlesCompanies: WebRoute = (app, deps) => {
  app.get('/companies', { config: { auth: 'viewer' } }, async (req, reply) => {
    const { q } = query.parse(req.query ?? {});
    const found = await findCompanies(deps.db, q, new Date(Date.now() - SEARCH_DAYS * 86_400_000));
    const exact = found.filter((c) => c.ticker?.toLowerCase() === q.toLowerCase() || c.name === q);
    if (exact.length === 1) return reply.redirect(`/companies/${encodeURIComponent(exact[0]!.ticker ?? q)}`, 303);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/articles-company.tsx')).CompaniesPage, { ctx, q, found }),
    );
  });
};
