import { sourcesQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { sourceJson } from '../api-sources.ts';
import { sourceId } from './page.ts';

/**
 * `POST /sources/:id/delete`. Its articles go with it (foreign keys cascade: their report lines, extractions
 * and dedup keys too), so a source with stored articles is deleted only when the form confirms that count
 * (`articles=N`, the number the page showed); otherwise disabling keeps them.
 */
export const sourcesDelete: WebRoute = (app, deps) => {
  app.post('/sources/:id/delete', { config: { auth: 'admin' } }, async (req, reply) => {
    const id = sourceId(req.params);
    const row = id ? await sourcesQ.getSource(deps.db, id) : null;
    if (!row) return reply.callNotFound();
    const n = await sourcesQ.countSourceArticles(deps.db, row.id);
    const confirmed = String((req.body as { articles?: unknown } | undefined)?.articles ?? '') === String(n);
    if (n > 0 && !confirmed) return reply.redirect(`/sources/${row.id}?error=articles`, 303);
    await sourcesQ.deleteSource(deps.db, row.id);
    await auditWeb(req, deps, 'source.remove', `source:${row.id}`, { before: sourceJson(row), articles: n });
    return reply.redirect('/sources?done=deleted', 303);
  });
};
