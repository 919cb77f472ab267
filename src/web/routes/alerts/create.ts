import { addRule } from '../../../alerts/rules.ts';
import { channelChoices } from '../../../db/queries/console-channels.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { auditOf, errorsOf, formValues, inputOf } from './form.ts';
import type { AlertFormBody } from './form.ts';

/** `POST /alerts`: adds a rule (audited `alert.add`), or shows the form again with the refused field marked. */
export const alertsCreate: WebRoute = (app, deps) => {
  app.post<{ Body: AlertFormBody }>('/alerts', { config: { auth: 'admin' } }, async (req, reply) => {
    const ctx = pageContext(req, reply);
    const values = formValues(req.body);
    try {
      const rule = await addRule(deps.db, inputOf(values));
      await auditWeb(req, deps, 'alert.add', rule.name, { after: auditOf(rule) });
      return reply.redirect(`/alerts?done=created&name=${encodeURIComponent(rule.name)}`, 303);
    } catch (err) {
      const form = { values, ...errorsOf(ctx, err) };
      const channels = await channelChoices(deps.db);
      return sendPage(
        reply,
        async (h) =>
          h((await import('../../views/alerts-form.tsx')).AlertFormPage, { ctx, rule: null, channels, form }),
        400,
      );
    }
  });
};
