import { z } from 'zod';
import { requeueChannelLog } from '../../../db/queries/channels.ts';
import { channelLogRow } from '../../../db/queries/console-channels.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { queueDelivery } from '../../report-mail.ts';
import { backTo } from './enabled.ts';

const body = z.object({ id: z.coerce.number().int().positive(), back: z.string().optional() });

/**
 * `POST /deliveries/channel-resend` (`id` of a channel_log row): puts a `failed` or `uncertain` channel push
 * back in the queue (from its first part not known to be posted; its earlier attempts stay in its history),
 * then a deliver job sends it — the mail rows' retry, for a channel. A row that moved meanwhile is left alone.
 */
export const deliveriesChannelResend: WebRoute = (app, deps) => {
  app.post('/deliveries/channel-resend', { config: { auth: 'admin' } }, async (req, reply) => {
    const b = body.safeParse(req.body);
    if (!b.success) return reply.code(400).send({ error: 'invalid', message: 'id (a channel_log row) required' });
    const row = await channelLogRow(deps.db, b.data.id);
    if (!row) return reply.callNotFound();
    const back = b.data.back;
    const names = await requeueChannelLog(deps.db, {
      editionId: row.editionId,
      channelNames: [row.channelName],
      statuses: ['failed', 'uncertain'],
    });
    if (names.length === 0) return reply.redirect(backTo(back, '/deliveries', { done: 'nothing' }), 303);
    const send = await queueDelivery(deps, { editionId: row.editionId, date: row.date, groups: null });
    await auditWeb(req, deps, 'channel.resend', row.channelName, { edition: row.date, was: row.status, send });
    return reply.redirect(backTo(back, '/deliveries', { done: 'chRequeued', channel: row.channelName, send }), 303);
  });
};
