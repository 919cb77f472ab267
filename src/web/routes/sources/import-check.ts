import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { definitionsOr400, IMPORT_BODY_LIMIT, postedFile, saveDefinitions } from './import-file.ts';

/**
 * `POST /sources/import`: checks a whole file (every entry through the shared validator) and shows what it
 * would add, update or leave; nothing is written — the plan's button applies it.
 */
export const sourcesImportCheck: WebRoute = (app, deps) => {
  app.post('/sources/import', { config: { auth: 'admin' }, bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
    const file = postedFile(req);
    const defs = await definitionsOr400(req, reply, file);
    if (!defs) return reply;
    const plan = await saveDefinitions(deps.db, defs, file.format, true);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/sources-import.tsx')).SourcesImportPage, { ctx, ...file, plan }),
    );
  });
};
