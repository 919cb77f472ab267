import { idParams } from '../api-common.ts';
import { updateRule } from '../../../alerts/rules.ts';
import { getAlertRuleRow } from '../../../db/queries/console-alerts.ts';
import { dateInZone } from '../../../lib/time.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { backTo } from '../recipients/enabled.ts';

/** `POST /alerts/:id/enabled` (`enabled=1|0`): turns a rule on or off, audited. */
export const alertsEnabled: WebRoute = (app, deps) => {
  app.post<{ Body: { enabled?: string; back?: string } }>(
    '/alerts/:id/enabled',
    { config: { auth: 'admin' } },
    async (req, reply) => {
      const p = idParams.safeParse(req.params);
      const day = dateInZone(new Date(), deps.config.timeZone);
      const before = p.success ? await getAlertRuleRow(deps.db, p.data.id, day) : null;
      if (!before) return reply.callNotFound();
      const enabled = req.body?.enabled === '1';
      await updateRule(deps.db, before.name, { enabled });
      await auditWeb(req, deps, enabled ? 'alert.enable' : 'alert.disable', before.name, {
        before: { enabled: before.enabled },
        after: { enabled },
      });
      const done = enabled ? 'enabled' : 'disabled';
      return reply.redirect(backTo(req.body?.back, '/alerts', { done, name: before.name }), 303);
    },
  );
};
