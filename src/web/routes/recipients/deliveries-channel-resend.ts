import { z } from 'zod';
import { resendChannels } from '../../../channels/store.ts';
import { channelLogRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { queueDelivery } from '../../report-mail.ts';
import { backTo } from './enabled.ts';

const body = z.object({ id: z.coerce.number().int().positive(), back: z.string().optional() });

/**
 * `POST /deliveries/channel-resend` (`id` of a channel_log row): puts a `failed` or `uncertain` channel push
 * back in the queue through the store's `resendChannels` (as `finrep channels resend`, audited there: from its
 * first part not known to be posted), then a deliver job sends it beside the mail. A row that moved meanwhile
 * (sent, or being sent) is left alone.
 */
export const deliveriesChannelResend: WebRoute = (app, deps) => {
  app.post('/deliveries/channel-resend', { config: { auth: 'admin' } }, async (req, reply) => {
    const b = body.safeParse(req.body);
    if (!b.success) return reply.code(400).send({ error: 'invalid', message: 'id (a channel_log row) required' });
    const row = await channelLogRow(deps.db, b.data.id);
    if (!row) return reply.callNotFound();
    const back = b.data.back;
    const actor = req.principal?.actor ?? `ip:${req.ip}`;
    const names = await resendChannels(deps.db, { date: row.date, names: [row.channelName], actor });
    if (names.length === 0) return reply.redirect(backTo(back, '/deliveries', { done: 'nothing' }), 303);
    const send = await queueDelivery(deps, { editionId: row.editionId, date: row.date, groups: null });
    return reply.redirect(backTo(back, '/deliveries', { done: 'chRequeued', channel: row.channelName, send }), 303);
  });
};
