import { z } from 'zod';
import { idParams } from '../api-common.ts';
import { getChannelRow } from '../../../db/queries/console-channels.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { PageContext } from '../../views/layout.tsx';
import { formOf } from './form.ts';

const query = z.object({
  saved: z.literal('1').optional().catch(undefined),
  done: z.enum(['enabled', 'disabled']).optional().catch(undefined),
});

/** The confirmation of the save, or of the enable / disable button on this page, that led here. */
function noticeOf(ctx: PageContext, q: z.infer<typeof query>): string | null {
  if (q.done === 'enabled') return ctx.t('channels.enabledHere');
  if (q.done === 'disabled') return ctx.t('channels.disabledHere');
  return q.saved ? ctx.t('channels.saved') : null;
}

/** `GET /channels/:id`: a channel's form, state and test button (a viewer sees it read-only, without actions). */
export const channelsEdit: WebRoute = (app, deps) => {
  app.get('/channels/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const channel = p.success ? await getChannelRow(deps.db, p.data.id) : null;
    if (!channel) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const notice = noticeOf(ctx, query.parse(req.query ?? {}));
    const props = { ctx, channel, form: formOf(channel), notice };
    return sendPage(reply, async (h) => h((await import('../../views/channels-form.tsx')).ChannelFormPage, props));
  });
};
