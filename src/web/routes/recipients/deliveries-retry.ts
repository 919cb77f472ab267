import { z } from 'zod';
import { deliveriesQ } from '../../../db/queries/index.ts';
import { DeliverError } from '../../../deliver/mailer.ts';
import { requeueForResend } from '../../../deliver/recipients.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { backTo } from './enabled.ts';
import { sendQueued } from './send-queued.ts';

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
    const emails = email ? [email] : undefined;
    const requeued = await requeueForResend(deps.db, { date, statuses: ['failed'], ...(emails && { emails }) }).catch(
      (e: unknown) => {
        if (e instanceof DeliverError) return null;
        throw e;
      },
    );
    if (!requeued) return reply.callNotFound();
    if (requeued.length === 0) return reply.redirect(backTo(back, '/deliveries', { done: 'nothing' }), 303);
    const edition = (await deliveriesQ.findEditionByDate(deps.db, date))!;
    const send = await sendQueued(deps, edition);
    await auditWeb(req, deps, 'delivery.retry', date, { emails: requeued, scope: email ? 'one' : 'all failed', send });
    return reply.redirect(backTo(back, '/deliveries', { done: 'requeued', n: String(requeued.length), send }), 303);
  });
};
