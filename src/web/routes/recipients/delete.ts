import { idParams } from '../api-common.ts';
import { deleteRecipient } from '../../../db/queries/console-recipients.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';

/** `POST /recipients/:id/delete`: removes a recipient and its delivery rows (the page asked first). */
export const recipientsDelete: WebRoute = (app, deps) => {
  app.post('/recipients/:id/delete', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const gone = p.success ? await deleteRecipient(deps.db, p.data.id) : null;
    if (!gone) return reply.callNotFound();
    await auditWeb(req, deps, 'recipient.delete', gone.email, {
      before: {
        name: gone.name,
        groups: gone.groups,
        enabled: gone.enabled,
        unsubscribed_at: gone.unsubscribedAt,
        created_at: gone.createdAt,
      },
    });
    return reply.redirect(`/recipients?done=deleted&email=${encodeURIComponent(gone.email)}`, 303);
  });
};
