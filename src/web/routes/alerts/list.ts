import { z } from 'zod';
import { recentAlertRunSkips } from '../../../db/queries/alerts.ts';
import { listAlertRuleRows, recentFirings } from '../../../db/queries/console-alerts.ts';
import { channelChoices } from '../../../db/queries/console-channels.ts';
import { listOpsAlerts } from '../../../db/queries/ops-alerts.ts';
import { effectiveConfig } from '../../../config/overrides.ts';
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

/** How many skipped alert runs the page lists. @defaultValue 10 */
export const SKIPS_SHOWN = 10;

/** How many operational incidents the page lists. @defaultValue 20 */
export const OPS_ALERTS_SHOWN = 20;

/**
 * `GET /alerts`: the intraday rules (with their firings today), the newest firings of all rules, the alert
 * runs skipped while another was live, and the recent operational incidents (运维告警).
 */
export const alertsList: WebRoute = (app, deps) => {
  app.get('/alerts', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = query.parse(req.query ?? {});
    const day = dateInZone(new Date(), deps.config.timeZone);
    const [rules, channels, firings, skips, opsRows, effective] = await Promise.all([
      listAlertRuleRows(deps.db, day),
      channelChoices(deps.db),
      recentFirings(deps.db, { limit: FIRINGS_SHOWN }),
      recentAlertRunSkips(deps.db, SKIPS_SHOWN),
      listOpsAlerts(deps.db, OPS_ALERTS_SHOWN),
      effectiveConfig(deps.db, deps.config),
    ]);
    const ctx = pageContext(req, reply);
    const ops = { rows: opsRows, channels: effective.opsAlerts.channels, mail: effective.opsAlerts.mail };
    const props = { ctx, rules, channels, firings, skips, ops, notice: noticeOf(ctx, q) };
    return sendPage(reply, async (h) => h((await import('../../views/alerts.tsx')).AlertsPage, props));
  });
};
