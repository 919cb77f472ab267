import { idParams } from '../api-common.ts';
import { removeRule } from '../../../alerts/rules.ts';
import { getAlertRuleRow } from '../../../db/queries/console-alerts.ts';
import { dateInZone } from '../../../lib/time.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { auditOf } from './form.ts';

/** `POST /alerts/:id/delete`: removes a rule and its firings (the page asked first), audited `alert.remove`. */
export const alertsDelete: WebRoute = (app, deps) => {
  app.post('/alerts/:id/delete', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const day = dateInZone(new Date(), deps.config.timeZone);
    const rule = p.success ? await getAlertRuleRow(deps.db, p.data.id, day) : null;
    if (!rule) return reply.callNotFound();
    await removeRule(deps.db, rule.name);
    await auditWeb(req, deps, 'alert.remove', rule.name, { before: auditOf(rule) });
    return reply.redirect(`/alerts?done=deleted&name=${encodeURIComponent(rule.name)}`, 303);
  });
};
