import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

/** `GET /recipients/new`: the empty form. */
export const recipientsNew: WebRoute = (app) => {
  app.get('/recipients/new', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const form = { values: { email: '', name: '', groups: '' }, errors: {} };
    return sendPage(reply, async (h) =>
      h((await import('../../views/recipients-form.tsx')).RecipientFormPage, { ctx, recipient: null, form }),
    );
  });
};
