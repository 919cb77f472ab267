import { idParams } from '../api-common.ts';
import { updateChannel } from '../../../channels/store.ts';
import { getChannelRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { backTo } from '../recipients/enabled.ts';
import { actorOf } from './form.ts';

/** `POST /channels/:id/enabled` (`enabled=1|0`): turns a channel on or off (the store audits it). */
export const channelsEnabled: WebRoute = (app, deps) => {
  app.post<{ Body: { enabled?: string; back?: string } }>(
    '/channels/:id/enabled',
    { config: { auth: 'admin' } },
    async (req, reply) => {
      const p = idParams.safeParse(req.params);
      const before = p.success ? await getChannelRow(deps.db, p.data.id) : null;
      if (!before) return reply.callNotFound();
      const enabled = req.body?.enabled === '1';
      await updateChannel(deps.db, deps.secret, before.name, { enabled }, actorOf(req));
      const done = enabled ? 'enabled' : 'disabled';
      return reply.redirect(backTo(req.body?.back, '/channels', { done, name: before.name }), 303);
    },
  );
};
