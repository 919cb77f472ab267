import { z } from 'zod';
import { deliveriesQ } from '../../../db/queries/index.ts';
import { DeliverError } from '../../../deliver/mailer.ts';
import { requeueForResend } from '../../../deliver/recipients.ts';
import { markDelivered } from '../../../deliver/resolve.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { backTo } from './enabled.ts';
import { sendQueued } from './send-queued.ts';

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
    const by = req.principal?.actor ?? 'web';
    const changed = await (
      outcome === 'delivered'
        ? markDelivered(deps.db, { date, emails: [email], by })
        : requeueForResend(deps.db, { date, emails: [email], statuses: ['uncertain'] })
    ).catch((e: unknown) => {
      if (e instanceof DeliverError) return null;
      throw e;
    });
    if (!changed) return reply.callNotFound();
    if (changed.length === 0) return reply.redirect(backTo(back, '/deliveries', { done: 'nothing' }), 303);
    const send =
      outcome === 'resend' ? await sendQueued(deps, (await deliveriesQ.findEditionByDate(deps.db, date))!) : null;
    await auditWeb(req, deps, 'delivery.resolve', date, { emails: changed, outcome, ...(send && { send }) });
    const n = String(changed.length);
    const notice: Record<string, string> = send ? { done: 'requeued', n, send } : { done: 'marked', n };
    return reply.redirect(backTo(back, '/deliveries', notice), 303);
  });
};
