import { acceptTotpStep, getUser, setTotp } from '../../db/queries/users.ts';
import { open, seal } from '../auth/secret-box.ts';
import { auditWeb, startSession } from '../auth/sign-in.ts';
import { newTotpSecret, totpQrDataUrl, totpStep, totpUri } from '../auth/totp.ts';
import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';

const views = () => import('../views/account.tsx');

/**
 * `GET|POST /account/2fa`: TOTP enrolment. The new secret travels sealed in the form (nothing is stored until
 * the first code proves the app has it); confirming stores it encrypted and revokes other sessions.
 */
export const account2fa: WebRoute = (app, deps) => {
  app.get('/account/2fa', { config: { before2fa: true } }, async (req, reply) => {
    const p = req.principal;
    if (p?.kind !== 'session' || p.user.totpEnabledAt) return reply.redirect('/account', 303);
    const secret = newTotpSecret();
    const ctx = pageContext(req, reply);
    const email = p.user.email ?? p.user.username;
    const qr = await totpQrDataUrl(totpUri(secret, email));
    return sendPage(reply, async (h) =>
      h((await views()).EnrolPage, {
        ctx,
        qr,
        secret,
        sealed: seal(secret, deps.secret),
        required: deps.config.web.requireAdmin2fa && p.role === 'admin',
      }),
    );
  });

  app.post<{ Body: { sealed?: string; code?: string } }>(
    '/account/2fa',
    { config: { auth: 'viewer', before2fa: true } },
    async (req, reply) => {
      const p = req.principal;
      if (p?.kind !== 'session') return reply.code(403).send({ error: 'forbidden', message: 'sign in to enrol' });
      if (p.user.totpEnabledAt) return reply.redirect('/account', 303);
      const email = p.user.email ?? p.user.username;
      const secret = open(String(req.body?.sealed ?? ''), deps.secret);
      if (!secret) return reply.code(400).send({ error: 'bad_request', message: 'the enrolment form was altered' });
      const step = totpStep(secret, String(req.body?.code ?? ''));
      if (step === null) {
        const ctx = pageContext(req, reply);
        await auditWeb(req, deps, 'user.2fa.failure', email, { reason: 'wrong code' });
        const qr = await totpQrDataUrl(totpUri(secret, email));
        const page = {
          ctx,
          qr,
          secret,
          sealed: seal(secret, deps.secret),
          required: deps.config.web.requireAdmin2fa && p.role === 'admin',
          error: ctx.t('twofa.failed'),
        };
        return sendPage(reply, async (h) => h((await views()).EnrolPage, page), 400);
      }
      await setTotp(deps.db, p.user.id, seal(secret, deps.secret), true);
      // The confirming code is spent: it cannot sign in afterwards.
      await acceptTotpStep(deps.db, p.user.id, step);
      await auditWeb(req, deps, 'user.2fa.enable', email, {
        before: { totp: false },
        after: { totp: true },
        by: 'self',
      });
      const fresh = await getUser(deps.db, p.user.id);
      if (fresh) await startSession(reply, fresh, deps);
      return reply.redirect('/account?enrolled=1', 303);
    },
  );
};
