import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { sendTestCopy } from '../../report-mail.ts';
import { editionOr404 } from './edition.ts';

/**
 * `POST /reports/:date/review/test`: sends the draft as it stands to the signed-in editor's own address
 * through the deliver code (SMTP, or the outbox without SMTP_HOST) — never to a recipient, never a row of
 * `delivery_log`.
 */
export const reportsReviewTest: WebRoute = (app, deps) => {
  app.post('/reports/:date/review/test', { config: { auth: 'admin' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    const p = req.principal;
    const to = p?.kind === 'session' ? p.user.email : null;
    if (!to)
      return reply
        .code(400)
        .send({ error: 'bad_request', message: 'a test copy goes to a signed-in user with an email' });
    const back = (q: string) => reply.redirect(`/reports/${e.date}/review?${q}`, 303);
    try {
      const res = await sendTestCopy(deps, e, to);
      await auditWeb(req, deps, 'report.review.test', `edition:${e.date}`, { to, response: res.response });
      return back(`test=${encodeURIComponent(res.response.slice(0, 200))}`);
    } catch (err) {
      const message = (err as Error).message.slice(0, 300); // MailError messages never hold the password
      req.log.warn({ edition: e.date, err: message }, 'review test copy failed');
      return back(`testError=${encodeURIComponent(message)}`);
    }
  });
};
