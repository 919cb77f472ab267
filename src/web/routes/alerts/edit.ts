import { idParams } from '../api-common.ts';
import { getAlertRuleRow, recentFirings } from '../../../db/queries/console-alerts.ts';
import { channelChoices } from '../../../db/queries/console-channels.ts';
import { dateInZone } from '../../../lib/time.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { formOf } from './form.ts';

/** `GET /alerts/:id`: a rule's form (read-only for a viewer), its state and its recent firings. */
export const alertsEdit: WebRoute = (app, deps) => {
  app.get('/alerts/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const day = dateInZone(new Date(), deps.config.timeZone);
    const rule = p.success ? await getAlertRuleRow(deps.db, p.data.id, day) : null;
    if (!rule) return reply.callNotFound();
    const [channels, firings] = await Promise.all([
      channelChoices(deps.db),
      recentFirings(deps.db, { ruleId: rule.id, limit: 50 }),
    ]);
    const ctx = pageContext(req, reply);
    const saved = (req.query as { saved?: string }).saved === '1';
    const props = {
      ctx,
      rule,
      channels,
      firings,
      form: formOf(rule, channels),
      notice: saved ? ctx.t('alerts.saved') : null,
    };
    return sendPage(reply, async (h) => h((await import('../../views/alerts-form.tsx')).AlertFormPage, props));
  });
};
