import { z } from 'zod';
import { deliveriesQ } from '../../../db/queries/index.ts';
import { requeueForResend } from '../../../deliver/recipients.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { backTo } from './enabled.ts';
import { queueDelivery } from '../../report-mail.ts';

const body = z.object({
  edition: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  email: z.string().trim().max(320).optional(),
  back: z.string().optional(),
});

/**
 * `POST /deliveries/retry` (`edition`, optional `email`): sends a failed delivery again — one row, or every
 * failed row of the edition — through the CLI's `requeueForResend` (only `failed` rows move), then a deliver job.
 */
export const deliveriesRetry: WebRoute = (app, deps) => {
  app.post('/deliveries/retry', { config: { auth: 'admin' } }, async (req, reply) => {
    const b = body.safeParse(req.body);
    if (!b.success) return reply.code(400).send({ error: 'invalid', message: 'edition (YYYY-MM-DD) required' });
    const { edition: date, email, back } = b.data;
    const edition = await deliveriesQ.findEditionByDate(deps.db, date);
    if (!edition) return reply.callNotFound();
    const emails = email ? [email] : undefined;
    const requeued = await requeueForResend(deps.db, { date, statuses: ['failed'], ...(emails && { emails }) });
    if (requeued.length === 0) return reply.redirect(backTo(back, '/deliveries', { done: 'nothing' }), 303);
    const send = await queueDelivery(deps, { editionId: edition.id, date, groups: null });
    await auditWeb(req, deps, 'delivery.retry', date, { emails: requeued, scope: email ? 'one' : 'all failed', send });
    return reply.redirect(backTo(back, '/deliveries', { done: 'requeued', n: String(requeued.length), send }), 303);
  });
};
