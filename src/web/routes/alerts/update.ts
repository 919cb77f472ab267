import { idParams } from '../api-common.ts';
import { updateRule } from '../../../alerts/rules.ts';
import { getAlertRuleRow } from '../../../db/queries/console-alerts.ts';
import { channelChoices } from '../../../db/queries/console-channels.ts';
import { dateInZone } from '../../../lib/time.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { auditOf, errorsOf, formValues, inputOf } from './form.ts';
import type { AlertFormBody } from './form.ts';

/** `POST /alerts/:id`: saves a rule (audited `alert.update`, before and after), or shows the form with its errors. */
export const alertsUpdate: WebRoute = (app, deps) => {
  app.post<{ Body: AlertFormBody }>('/alerts/:id', { config: { auth: 'admin' } }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    const day = dateInZone(new Date(), deps.config.timeZone);
    const before = p.success ? await getAlertRuleRow(deps.db, p.data.id, day) : null;
    if (!before) return reply.callNotFound();
    const ctx = pageContext(req, reply);
    const values = formValues(req.body);
    try {
      const after = await updateRule(deps.db, before.name, inputOf(values));
      await auditWeb(req, deps, 'alert.update', before.name, { before: auditOf(before), after: auditOf(after) });
      return reply.redirect(`/alerts/${after.id}?saved=1`, 303);
    } catch (err) {
      const form = { values, ...errorsOf(ctx, err) };
      const channels = await channelChoices(deps.db);
      return sendPage(
        reply,
        async (h) =>
          h((await import('../../views/alerts-form.tsx')).AlertFormPage, { ctx, rule: before, channels, form }),
        400,
      );
    }
  });
};
