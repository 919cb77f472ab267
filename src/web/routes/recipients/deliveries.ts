import { z } from 'zod';
import { editionChannelRows } from '../../../db/queries/console-channels.ts';
import { deliveredEditionDates, pageDeliveries } from '../../../db/queries/console-deliveries.ts';
import { listGroups } from '../../../db/queries/console-recipients.ts';
import { deliveriesQ } from '../../../db/queries/index.ts';
import type { DeliveryStatus } from '../../../db/schema/index.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { PageContext } from '../../views/layout.tsx';

const PAGE_SIZE = 50;
const query = z.object({
  edition: z
    .union([z.literal('all'), z.string().regex(/^\d{4}-\d{2}-\d{2}$/)])
    .optional()
    .catch(undefined),
  status: z.enum(['sent', 'failed', 'uncertain', 'pending']).optional().catch(undefined),
  recipient: z.string().trim().max(320).optional().catch(undefined),
  group: z.string().max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  done: z.enum(['requeued', 'marked', 'nothing', 'chRequeued']).optional().catch(undefined),
  channel: z.string().max(100).optional().catch(undefined),
  n: z.coerce.number().int().min(0).catch(0).default(0),
  send: z.enum(['queued', 'none']).optional().catch(undefined),
});
type Query = z.infer<typeof query>;

/** The status filter's rows of channel_log (`pending`: not finished yet). */
const CHANNEL_STATUSES: Record<NonNullable<Query['status']>, DeliveryStatus[]> = {
  sent: ['sent'],
  failed: ['failed'],
  uncertain: ['uncertain'],
  pending: ['queued', 'sending', 'retrying'],
};

/** The confirmation of the retry or resolve that led here (codes in the query, never text). */
function noticeOf(ctx: PageContext, q: Query, edition: string | null): string | null {
  if (q.done === 'nothing') return ctx.t('deliveries.nothing');
  if (q.done === 'marked') return ctx.t('deliveries.marked', { n: q.n });
  if (q.done !== 'requeued' && q.done !== 'chRequeued') return null;
  const then = q.send === 'queued' ? ctx.t('deliveries.sending') : ctx.t('deliveries.waiting', { date: edition ?? '' });
  if (q.done === 'chRequeued') return `${ctx.t('deliveries.chRequeued', { name: q.channel ?? '' })} ${then}`;
  return `${ctx.t('deliveries.requeued', { n: q.n })} ${then}`;
}

/**
 * `GET /deliveries`: the delivery log, newest first, of the latest edition (or one, or all), filtered by
 * status, recipient and group, paged; with the edition's counts and the rows' retry / resolve actions, and the
 * edition's channel pushes (channel_log) with their resend.
 */
export const deliveriesList: WebRoute = (app, deps) => {
  app.get('/deliveries', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = query.parse(req.query ?? {});
    const [dates, groups] = await Promise.all([deliveredEditionDates(deps.db), listGroups(deps.db)]);
    const edition = q.edition === 'all' ? null : (q.edition ?? dates[0] ?? null);
    const filter = {
      edition: edition ?? undefined,
      status: q.status,
      recipient: q.recipient || undefined,
      group: q.group || undefined,
    };
    const found = edition ? await deliveriesQ.findEditionByDate(deps.db, edition) : null;
    const [{ rows, total, capped }, counts, channelRows] = await Promise.all([
      pageDeliveries(deps.db, filter, q.page, PAGE_SIZE),
      found ? deliveriesQ.deliveryCounts(deps.db, found.id) : null,
      // An edition's channels (a handful) beside its mail: a group shows the channels that follow it; a recipient
      // is mail only, so it leaves them as they are (the page says so).
      editionChannelRows(deps.db, edition, {
        statuses: q.status && CHANNEL_STATUSES[q.status],
        group: q.group || undefined,
      }),
    ]);
    const ctx = pageContext(req, reply);
    const props = {
      ctx,
      rows,
      channelRows,
      total,
      capped,
      page: q.page,
      pageSize: PAGE_SIZE,
      query: { edition: q.edition, status: q.status, recipient: q.recipient, group: q.group },
      edition,
      counts,
      dates,
      // A group only channels follow is not a recipient's: offered still, so the filter shows what it applies.
      groups: [...new Set([...groups.map((g) => g.name), ...(q.group ? [q.group] : [])])],
      notice: noticeOf(ctx, q, edition),
    };
    return sendPage(reply, async (h) => h((await import('../../views/deliveries.tsx')).DeliveriesPage, props));
  });
};
