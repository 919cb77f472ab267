import { getUser, recordFailedLogin, setPassword } from '../../db/queries/users.ts';
import { hashPassword, passwordIssue, verifyPassword } from '../auth/passwords.ts';
import { sayText } from '../i18n/coded.ts';
import { auditWeb, startSession } from '../auth/sign-in.ts';
import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';

/**
 * `POST /account/password`: a user changes their own password (any role). The session version moves on, so
 * every other session ends; this browser gets a new session. A wrong current password counts as a failed
 * sign-in (the same lockout), so a stolen session cannot guess it at speed and take the account over.
 */
export const accountPassword: WebRoute = (app, deps) => {
  app.post<{ Body: { current?: string; password?: string; confirm?: string } }>(
    '/account/password',
    { config: { auth: 'viewer', before2fa: true } },
    async (req, reply) => {
      const p = req.principal;
      if (p?.kind !== 'session')
        return reply.code(403).send({ error: 'forbidden', message: 'sign in to change a password' });
      const ctx = pageContext(req, reply);
      const since = p.user.totpEnabledAt?.toISOString().slice(0, 10) ?? null;
      const fail = (error: string, status = 400) =>
        sendPage(
          reply,
          async (h) => h((await import('../views/account.tsx')).AccountPage, { ctx, totpSince: since, error }),
          status,
        );
      const { current = '', password = '', confirm = '' } = req.body ?? {};
      const lockedFor = Math.ceil(((p.user.lockedUntil?.getTime() ?? 0) - Date.now()) / 1000);
      if (lockedFor > 0) {
        await auditWeb(req, deps, 'user.password.failure', p.user.email, { reason: 'locked', seconds: lockedFor });
        reply.header('retry-after', String(lockedFor));
        return fail(ctx.t('login.locked', { seconds: lockedFor }), 429);
      }
      if (!(await verifyPassword(p.user.passwordHash, String(current)))) {
        const lockedUntil = await recordFailedLogin(deps.db, p.user.id);
        await auditWeb(req, deps, 'user.password.failure', p.user.email, {
          reason: 'wrong current password',
          locked_until: lockedUntil?.toISOString() ?? null,
        });
        return fail(ctx.t('account.wrongCurrent'));
      }
      if (password !== confirm) return fail(ctx.t('account.mismatch'));
      const problem = passwordIssue(String(password));
      if (problem) return fail(ctx.t('account.weak', { problem: sayText(ctx.t, problem, problem.text) }));
      await setPassword(deps.db, p.user.id, await hashPassword(String(password)));
      await auditWeb(req, deps, 'user.password', p.user.email, { by: 'self', sessions_revoked: true });
      const fresh = await getUser(deps.db, p.user.id);
      if (fresh) await startSession(reply, fresh, deps);
      return reply.redirect('/account?changed=1', 303);
    },
  );
};
