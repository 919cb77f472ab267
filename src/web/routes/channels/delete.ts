import { idParams } from '../api-common.ts';
import { removeChannel } from '../../../channels/store.ts';
import { getChannelRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { actorOf } from './form.ts';

/** `POST /channels/:id/delete`: removes a channel and its push log (the page asked first; the store audits it). */
export const channelsDelete: WebRoute = (app, deps) => {
  app.post('/channels/:id/delete', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const row = p.success ? await getChannelRow(deps.db, p.data.id) : null;
    if (!row || !(await removeChannel(deps.db, row.name, actorOf(req)))) return reply.callNotFound();
    return reply.redirect(`/channels?done=deleted&name=${encodeURIComponent(row.name)}`, 303);
  });
};
