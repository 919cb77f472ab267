import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

/** `GET /channels/new`: the empty form (a WeCom robot, enabled, until the operator picks otherwise). */
export const channelsNew: WebRoute = (app) => {
  app.get('/channels/new', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const values = {
      name: '',
      kind: 'wecom',
      url: '',
      chatId: '',
      keywords: '',
      format: 'json',
      maxItems: '',
      group: '',
      enabled: true,
    };
    return sendPage(reply, async (h) =>
      h((await import('../../views/channels-form.tsx')).ChannelFormPage, {
        ctx,
        channel: null,
        form: { values, errors: {} },
      }),
    );
  });
};
