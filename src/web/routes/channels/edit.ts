import { idParams } from '../api-common.ts';
import { getChannelRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { formOf } from './form.ts';

/** `GET /channels/:id`: a channel's form, state and test button (a viewer sees it read-only, without actions). */
export const channelsEdit: WebRoute = (app, deps) => {
  app.get('/channels/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const channel = p.success ? await getChannelRow(deps.db, p.data.id) : null;
    if (!channel) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const saved = (req.query as { saved?: string }).saved === '1';
    const props = { ctx, channel, form: formOf(channel), notice: saved ? ctx.t('channels.saved') : null };
    return sendPage(reply, async (h) => h((await import('../../views/channels-form.tsx')).ChannelFormPage, props));
  });
};
