import { recipientsQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { RecipientFormState } from '../../views/recipients-form.tsx';
import { checkNew, formValues } from './form.ts';
import type { RecipientFormBody } from './form.ts';

/**
 * `POST /recipients`: adds a recipient, or shows the form again with its errors inline. An address that is a
 * recipient already is an error here (the API merges into it instead): the form links to it.
 */
export const recipientsCreate: WebRoute = (app, deps) => {
  app.post<{ Body: RecipientFormBody }>('/recipients', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const values = formValues(req.body);
    const checked = checkNew(ctx, values);
    const again = (form: RecipientFormState) =>
      sendPage(
        reply,
        async (h) =>
          h((await import('../../views/recipients-form.tsx')).RecipientFormPage, { ctx, recipient: null, form }),
        400,
      );
    if ('errors' in checked) return again({ values, errors: checked.errors });
    const { email, name = null, groups = [] } = checked.ok;
    const existing = await recipientsQ.findRecipientByEmail(deps.db, email);
    if (existing) return again({ values, errors: { email: ctx.t('recipients.exists') }, existingId: existing.id });
    await recipientsQ.upsertRecipients(deps.db, [{ email, name, groups }]);
    const row = (await recipientsQ.findRecipientByEmail(deps.db, email))!;
    await auditWeb(req, deps, 'recipient.add', row.email, { after: { name: row.name, groups: row.groups } });
    return reply.redirect(`/recipients?done=created&email=${encodeURIComponent(row.email)}`, 303);
  });
};
