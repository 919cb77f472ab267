import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';

/** `GET /account`: the signed-in user's password and second factor. */
export const account: WebRoute = (app) => {
  app.get('/account', { config: { before2fa: true } }, async (req, reply) => {
    if (req.principal?.kind !== 'session') return reply.redirect('/', 303);
    const ctx = pageContext(req, reply);
    const q = req.query as { changed?: string; enrolled?: string };
    const info = q.changed === '1' ? ctx.t('account.changed') : q.enrolled === '1' ? ctx.t('enrol.done') : undefined;
    const since = req.principal.user.totpEnabledAt?.toISOString().slice(0, 10) ?? null;
    return sendPage(reply, async (h) =>
      h((await import('../views/account.tsx')).AccountPage, { ctx, totpSince: since, info }),
    );
  });
};
