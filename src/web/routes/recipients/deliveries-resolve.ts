import { z } from 'zod';
import { deliveriesQ } from '../../../db/queries/index.ts';
import { requeueForResend } from '../../../deliver/recipients.ts';
import { markDelivered } from '../../../deliver/resolve.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { backTo } from './enabled.ts';
import { queueDelivery } from '../../report-mail.ts';

const body = z.object({
  edition: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  email: z.string().trim().min(3).max(320),
  outcome: z.enum(['delivered', 'resend']),
  back: z.string().optional(),
});

/**
 * `POST /deliveries/resolve` (`edition`, `email`, `outcome`): an operator settles an `uncertain` row — the
 * message arrived (`markDelivered`: it becomes `sent`), or it did not (`requeueForResend` of that uncertain
 * row, as `finrep deliveries resend`, then a deliver job). Rows no longer uncertain are left alone.
 */
export const deliveriesResolve: WebRoute = (app, deps) => {
  app.post('/deliveries/resolve', { config: { auth: 'admin' } }, async (req, reply) => {
    const b = body.safeParse(req.body);
    if (!b.success) return reply.code(400).send({ error: 'invalid', message: 'edition, email and outcome required' });
    const { edition: date, email, outcome, back } = b.data;
    const edition = await deliveriesQ.findEditionByDate(deps.db, date);
    if (!edition) return reply.callNotFound();
    const emails = [email];
    const changed =
      outcome === 'delivered'
        ? await markDelivered(deps.db, { date, emails, by: req.principal?.actor ?? 'web' })
        : await requeueForResend(deps.db, { date, emails, statuses: ['uncertain'] });
    if (changed.length === 0) return reply.redirect(backTo(back, '/deliveries', { done: 'nothing' }), 303);
    const send = outcome === 'resend' ? await queueDelivery(deps, { editionId: edition.id, date, groups: null }) : null;
    await auditWeb(req, deps, 'delivery.resolve', date, { emails: changed, outcome, ...(send && { send }) });
    const n = String(changed.length);
    const notice: Record<string, string> = send ? { done: 'requeued', n, send } : { done: 'marked', n };
    return reply.redirect(backTo(back, '/deliveries', notice), 303);
  });
};
