import { DeliverError } from '../../../deliver/mailer.ts';
import { requeueForResend } from '../../../deliver/recipients.ts';
import type { DeliveryStatus } from '../../../db/schema/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { queueDelivery } from '../../report-mail.ts';
import { editionOr404, field } from './edition.ts';

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/**
 * `POST /reports/:date/resend`: `mode=one` (an address), `group` (a recipient group) or `failed` (every failed
 * row). The rows go back into the queue through the CLI's own `requeueForResend` (a delivered one only with
 * `force`), then a deliver job sends them — exactly once per recipient, as every delivery.
 */
export const reportsResend: WebRoute = (app, deps) => {
  app.post('/reports/:date/resend', { config: { auth: 'admin' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    const back = (q: string) => reply.redirect(`/reports/${e.date}/detail?${q}#resend`, 303);
    // A draft under review goes to nobody before it is approved (or its deadline passes).
    if (e.status === 'review') return back('error=inReview');
    const mode = field(req, 'mode');
    const force = field(req, 'force') === '1' && mode !== 'failed';
    const email = field(req, 'email').toLowerCase();
    const group = field(req, 'group');
    if (mode === 'one' && !EMAIL.test(email)) return back('error=badEmail');
    if (mode === 'group' && !group) return back('error=badGroup');
    if (!['one', 'group', 'failed'].includes(mode))
      return reply.code(400).send({ error: 'bad_request', message: 'mode' });
    let emails: string[] | undefined = mode === 'one' ? [email] : undefined;
    if (mode === 'group') {
      const { recipientsQ } = await import('../../../db/queries/index.ts');
      emails = (await recipientsQ.listRecipients(deps.db, { groups: [group] })).map((r) => r.email);
      if (emails.length === 0) return back('error=nothing');
    }
    const statuses: DeliveryStatus[] | undefined = mode === 'failed' ? ['failed'] : undefined;
    const requeued = await requeueForResend(deps.db, {
      date: e.date,
      ...(emails && { emails }),
      ...(statuses && { statuses }),
      force,
    }).catch((err: unknown) => {
      if (err instanceof DeliverError) return [];
      throw err;
    });
    // A group's members without a row yet get the edition too (the deliver job's groups), as `finrep deliver --groups`.
    if (requeued.length === 0 && mode !== 'group') return back('error=nothing');
    const queued = await queueDelivery(deps, {
      editionId: e.id,
      date: e.date,
      groups: mode === 'group' ? [group] : null,
    });
    await auditWeb(req, deps, 'report.resend', `edition:${e.date}`, {
      mode,
      group: group || null,
      force,
      requeued,
      queued,
    });
    const to = requeued.slice(0, 5).join(', ') + (requeued.length > 5 ? ' …' : '');
    return back(`resent=${requeued.length}&queued=${queued === 'queued' ? 1 : 0}&to=${encodeURIComponent(to)}`);
  });
};
