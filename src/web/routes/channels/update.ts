import { idParams } from '../api-common.ts';
import { updateChannel } from '../../../channels/store.ts';
import { getChannelRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { actorOf, errorsOf, formValues, inputError, patchOf } from './form.ts';
import type { ChannelFormBody } from './form.ts';

/**
 * `POST /channels/:id`: saves a channel (a blank URL or secret keeps the stored one; the store audits
 * `channel.update` without either), or shows the form again with the refused field marked.
 */
export const channelsUpdate: WebRoute = (app, deps) => {
  app.post<{ Body: ChannelFormBody }>('/channels/:id', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const before = p.success ? await getChannelRow(deps.db, p.data.id) : null;
    if (!before) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const values = formValues(req.body);
    try {
      const after = await updateChannel(deps.db, deps.secret, before.name, patchOf(values, req.body), actorOf(req));
      if (!after) return reply.callNotFound();
      return reply.redirect(`/channels/${after.id}?saved=1`, 303);
    } catch (err) {
      const form = { values, ...errorsOf(ctx, inputError(err)) };
      return sendPage(
        reply,
        async (h) => h((await import('../../views/channels-form.tsx')).ChannelFormPage, { ctx, channel: before, form }),
        400,
      );
    }
  });
};
