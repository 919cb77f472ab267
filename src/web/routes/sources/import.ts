import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

/** `GET /sources/import`: export links, and the import form (a file or pasted text, checked before anything is written). */
export const sourcesImport: WebRoute = (app) => {
  app.get('/sources/import', { config: { auth: 'viewer' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/sources-import.tsx')).SourcesImportPage, { ctx, format: 'yaml', text: '' }),
    );
  });
};
