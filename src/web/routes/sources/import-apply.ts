import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { definitionsOr400, IMPORT_BODY_LIMIT, postedFile, saveDefinitions } from './import-file.ts';

/**
 * `POST /sources/import/apply`: checks the file again and applies it in one transaction — every entry or none.
 * One audit row lists what was created and updated, and which sources kept fields the file does not hold.
 */
export const sourcesImportApply: WebRoute = (app, deps) => {
  app.post('/sources/import/apply', { config: { auth: 'admin' }, bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
    const file = postedFile(req);
    const defs = await definitionsOr400(req, reply, file);
    if (!defs) return reply;
    const saved = await saveDefinitions(deps.db, defs, file.format, false);
    const keys = (o: string) => saved.filter((s) => s.outcome === o).map((s) => s.key);
    const created = keys('created');
    const updated = keys('updated');
    const kept = Object.fromEntries(saved.filter((s) => s.kept.length > 0).map((s) => [s.key, s.kept]));
    await auditWeb(req, deps, 'source.import', null, {
      format: file.format,
      entries: defs.length,
      created,
      updated,
      unchanged: keys('unchanged').length,
      kept,
    });
    const keptN = Object.keys(kept).length;
    const counts = `created=${created.length}&updated=${updated.length}${keptN > 0 ? `&kept=${keptN}` : ''}`;
    return reply.redirect(`/sources?done=imported&${counts}`, 303);
  });
};
