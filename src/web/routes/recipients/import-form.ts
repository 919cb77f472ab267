import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

/** `GET /recipients/import`: the CSV upload form. */
export const recipientsImportForm: WebRoute = (app) => {
  app.get('/recipients/import', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) => h((await import('../../views/recipients-import.tsx')).ImportPage, { ctx }));
  });
};
