import { idParams } from '../api-common.ts';
import { recipientsQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { checkEdit, formValues } from './form.ts';
import type { RecipientFormBody } from './form.ts';

/** `POST /recipients/:id`: saves a recipient's name and groups, or shows the form again with its errors. */
export const recipientsUpdate: WebRoute = (app, deps) => {
  app.post<{ Body: RecipientFormBody }>('/recipients/:id', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const before = p.success ? await recipientsQ.getRecipient(deps.db, p.data.id) : null;
    if (!before) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const values = formValues(req.body);
    const checked = checkEdit(ctx, values);
    if ('errors' in checked) {
      const form = { values: { ...values, email: before.email }, errors: checked.errors };
      return sendPage(
        reply,
        async (h) =>
          h((await import('../../views/recipients-form.tsx')).RecipientFormPage, { ctx, recipient: before, form }),
        400,
      );
    }
    const after = (await recipientsQ.updateRecipient(deps.db, before.id, checked.ok))!;
    await auditWeb(req, deps, 'recipient.edit', after.email, {
      before: { name: before.name, groups: before.groups },
      after: { name: after.name, groups: after.groups },
    });
    return reply.redirect(`/recipients/${after.id}?saved=1`, 303);
  });
};
