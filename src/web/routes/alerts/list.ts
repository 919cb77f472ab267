import { z } from 'zod';
import { listAlertRuleRows, recentFirings } from '../../../db/queries/console-alerts.ts';
import { channelChoices } from '../../../db/queries/console-channels.ts';
import { dateInZone } from '../../../lib/time.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { PageContext } from '../../views/layout.tsx';

const query = z.object({
  done: z.enum(['created', 'deleted', 'enabled', 'disabled']).optional().catch(undefined),
  name: z.string().max(100).optional().catch(undefined),
});

/** How many firings the page lists. @defaultValue 50 */
export const FIRINGS_SHOWN = 50;

function noticeOf(ctx: PageContext, q: z.infer<typeof query>): string | null {
  const name = q.name ?? '';
  switch (q.done) {
    case 'created':
      return ctx.t('alerts.created', { name });
    case 'deleted':
      return ctx.t('alerts.deleted', { name });
    case 'enabled':
      return ctx.t('alerts.enabledNotice', { name });
    case 'disabled':
      return ctx.t('alerts.disabledNotice', { name });
    default:
      return null;
  }
}

/** `GET /alerts`: the intraday rules (with their firings today) and the newest firings of all rules. */
export const alertsList: WebRoute = (app, deps) => {
  app.get('/alerts', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = query.parse(req.query ?? {});
    const day = dateInZone(new Date(), deps.config.timeZone);
    const [rules, channels, firings] = await Promise.all([
      listAlertRuleRows(deps.db, day),
      channelChoices(deps.db),
      recentFirings(deps.db, { limit: FIRINGS_SHOWN }),
    ]);
    const ctx = pageContext(req, reply);
    const props = { ctx, rules, channels, firings, notice: noticeOf(ctx, q) };
    return sendPage(reply, async (h) => h((await import('../../views/alerts.tsx')).AlertsPage, props));
  });
};
