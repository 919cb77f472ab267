import { recipientsQ } from '../../db/queries/index.ts';
import type { UnsubscribeResult } from '../../deliver/recipients.ts';
import { verifyUnsubscribe } from '../../deliver/links.ts';
import { auditWeb } from '../auth/sign-in.ts';
import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';
import type { PageBuilder } from '../render.ts';

const views = () => import('../views/mail-links.tsx');

const tokenOf = (query: unknown, body: unknown): string => {
  const q = (query as Record<string, unknown> | undefined)?.t;
  const b = (body as Record<string, unknown> | null | undefined)?.t;
  return typeof q === 'string' ? q : typeof b === 'string' ? b : '';
};

/**
 * `GET /unsubscribe?t=…`: the mail's 退订 link — a confirmation page (a link scanner's GET changes nothing).
 * `POST /unsubscribe?t=…`: the confirmation, and RFC 8058 one-click from the `List-Unsubscribe` header (a mail
 * provider posts `List-Unsubscribe=One-Click`, form-encoded or multipart). No session and no CSRF token: the
 * signed token is the credential; a tampered one gets 400 and changes nothing.
 */
export const unsubscribe: WebRoute = (app, deps) => {
  // One-click POSTs may come as multipart/form-data; the body carries nothing we need beyond the query's token.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, _body, done) =>
    done(null, {}),
  );
  const noStore = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex' };

  app.get('/unsubscribe', { config: { auth: 'public' } }, async (req, reply) => {
    reply.headers(noStore);
    const ctx = pageContext(req, reply);
    const token = tokenOf(req.query, null);
    const who = verifyUnsubscribe(token.trim(), deps.secret);
    if (!who)
      return sendPage(reply, async (h) => h((await views()).MailLinkRefusedPage, { ctx, reason: 'invalid' }), 400);
    const row = await recipientsQ.findRecipientByEmail(deps.db, who.email);
    if (!row || row.id !== who.recipientId)
      return sendPage(reply, async (h) => h((await views()).MailLinkRefusedPage, { ctx, reason: 'unknown' }), 404);
    if (row.unsubscribedAt)
      return sendPage(reply, async (h) =>
        h((await views()).UnsubscribeDonePage, { ctx, email: row.email, already: true }),
      );
    const action = `/unsubscribe?t=${encodeURIComponent(token)}`;
    return sendPage(reply, async (h) => h((await views()).UnsubscribeConfirmPage, { ctx, email: row.email, action }));
  });

  app.post(
    '/unsubscribe',
    { config: { auth: 'public', csrf: false, rateLimit: { max: 30, timeWindow: '1 minute' } } },
    async (req, reply) => {
      reply.headers(noStore);
      const { applyUnsubscribe } = await import('../../deliver/recipients.ts');
      const result = await applyUnsubscribe(deps.db, tokenOf(req.query, req.body), deps.secret);
      const ctx = pageContext(req, reply);
      if (result.status === 'invalid' || result.status === 'unknown') {
        req.log.info({ outcome: result.status }, 'unsubscribe refused');
        const reason = result.status;
        const page: PageBuilder = async (h) => h((await views()).MailLinkRefusedPage, { ctx, reason });
        return sendPage(reply, page, reason === 'invalid' ? 400 : 404);
      }
      const done = result as Extract<UnsubscribeResult, { email: string }>;
      const oneClick = (req.body as Record<string, unknown> | null)?.['List-Unsubscribe'] === 'One-Click';
      if (done.status === 'unsubscribed') {
        req.log.info({ recipient_id: done.recipientId, one_click: oneClick }, 'recipient unsubscribed');
        await auditWeb(
          req,
          deps,
          'recipient.unsubscribe',
          done.email,
          { via: oneClick ? 'one-click' : 'page' },
          `recipient:${done.recipientId}`,
        );
      }
      const already = done.status === 'already';
      return sendPage(reply, async (h) => h((await views()).UnsubscribeDonePage, { ctx, email: done.email, already }));
    },
  );
};
