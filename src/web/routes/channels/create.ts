import { addChannel } from '../../../channels/store.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { actorOf, errorsOf, formValues, inputError, inputOf } from './form.ts';
import type { ChannelFormBody } from './form.ts';

/**
 * `POST /channels`: adds a channel through the store (which seals the URL and the secret and audits
 * `channel.add`), or shows the form again with the refused field marked — never with the secret in it.
 */
export const channelsCreate: WebRoute = (app, deps) => {
  app.post<{ Body: ChannelFormBody }>('/channels', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const values = formValues(req.body);
    try {
      const c = await addChannel(deps.db, deps.secret, inputOf(values, req.body), actorOf(req));
      return reply.redirect(`/channels?done=created&name=${encodeURIComponent(c.name)}`, 303);
    } catch (err) {
      const form = { values, ...errorsOf(ctx, inputError(err)) };
      return sendPage(
        reply,
        async (h) => h((await import('../../views/channels-form.tsx')).ChannelFormPage, { ctx, channel: null, form }),
        400,
      );
    }
  });
};
