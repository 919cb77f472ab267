import { z } from 'zod';
import { listChannelRows } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { PageContext } from '../../views/layout.tsx';

const query = z.object({
  done: z.enum(['created', 'deleted', 'enabled', 'disabled']).optional().catch(undefined),
  name: z.string().max(100).optional().catch(undefined),
});

/** The confirmation of the action that led here (`?done=deleted&name=…`). */
function noticeOf(ctx: PageContext, q: z.infer<typeof query>): string | null {
  const name = q.name ?? '';
  switch (q.done) {
    case 'created':
      return ctx.t('channels.created', { name });
    case 'deleted':
      return ctx.t('channels.deleted', { name });
    case 'enabled':
      return ctx.t('channels.enabledNotice', { name });
    case 'disabled':
      return ctx.t('channels.disabledNotice', { name });
    default:
      return null;
  }
}

/** `GET /channels`: every chat channel with its redacted URL, group, state, last push and recent failures. */
export const channelsList: WebRoute = (app, deps) => {
  app.get('/channels', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = query.parse(req.query ?? {});
    const rows = await listChannelRows(deps.db);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/channels.tsx')).ChannelsPage, { ctx, rows, notice: noticeOf(ctx, q) }),
    );
  });
};
