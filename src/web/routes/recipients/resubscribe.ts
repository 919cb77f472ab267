import { idParams } from '../api-common.ts';
import { resubscribeRecipient } from '../../../db/queries/console-recipients.ts';
import { recipientsQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { formOf } from './form.ts';

/**
 * `POST /recipients/:id/resubscribe` (`reason`): an admin subscribes again someone who unsubscribed — only
 * with a reason, which the audit log keeps with the unsubscribe time it clears. Nothing else clears it.
 */
export const recipientsResubscribe: WebRoute = (app, deps) => {
  app.post<{ Body: { reason?: string } }>(
    '/recipients/:id/resubscribe',
    { config: { auth: 'admin' } },
    async (req, reply) => {
      const p = idParams.safeParse(req.params);
      const before = p.success ? await recipientsQ.getRecipient(deps.db, p.data.id) : null;
      if (!before) return reply.callNotFound();
      const reason = String(req.body?.reason ?? '')
        .trim()
        .slice(0, 500);
      if (!reason) {
        const ctx = pageContext(req, reply);
        const form = { ...formOf(before), errors: { reason: ctx.t('recipients.reasonRequired') } };
        const view = async () => (await import('../../views/recipients-form.tsx')).RecipientFormPage;
        return sendPage(reply, async (h) => h(await view(), { ctx, recipient: before, form }), 400);
      }
      const after = await resubscribeRecipient(deps.db, before.id);
      if (after)
        await auditWeb(req, deps, 'recipient.resubscribe', before.email, {
          reason,
          before: { unsubscribed_at: before.unsubscribedAt },
          after: { unsubscribed_at: null },
        });
      return reply.redirect(`/recipients/${before.id}?saved=1`, 303);
    },
  );
};
