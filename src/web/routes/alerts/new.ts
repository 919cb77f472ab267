import { channelChoices } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { EMPTY } from './form.ts';

/** `GET /alerts/new`: the empty rule form, with the configured channels to tick. */
export const alertsNew: WebRoute = (app, deps) => {
  app.get('/alerts/new', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const channels = await channelChoices(deps.db);
    const form = { values: EMPTY, errors: {} };
    return sendPage(reply, async (h) =>
      h((await import('../../views/alerts-form.tsx')).AlertFormPage, { ctx, rule: null, channels, form }),
    );
  });
};
