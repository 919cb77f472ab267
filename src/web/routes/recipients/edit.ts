import { idParams } from '../api-common.ts';
import { recipientsQ } from '../../../db/queries/index.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { formOf } from './form.ts';

/** `GET /recipients/:id`: a recipient's form and state (a viewer sees it read-only). */
export const recipientsEdit: WebRoute = (app, deps) => {
  app.get('/recipients/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const recipient = p.success ? await recipientsQ.getRecipient(deps.db, p.data.id) : null;
    if (!recipient) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const saved = (req.query as { saved?: string }).saved === '1';
    const props = { ctx, recipient, form: formOf(recipient), notice: saved ? ctx.t('recipients.saved') : null };
    return sendPage(reply, async (h) => h((await import('../../views/recipients-form.tsx')).RecipientFormPage, props));
  });
};
