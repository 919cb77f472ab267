import { acceptTotpStep, getUser, recordFailedLogin, recordLogin } from '../../db/queries/users.ts';
import type { UserRow } from '../../db/queries/users.ts';
import { open } from '../auth/secret-box.ts';
import { MFA_COOKIE, verifySession } from '../auth/session.ts';
import { auditWeb, endSession, startSession } from '../auth/sign-in.ts';
import { totpStep } from '../auth/totp.ts';
import type { WebDeps, WebRoute } from '../deps.ts';
import { pageContext, safeNext, sendPage } from '../render.ts';

const views = () => import('../views/login.tsx');

/** The user whose password was right a moment ago (the MFA cookie), if still valid. */
async function pendingUser(cookie: string | undefined, deps: WebDeps): Promise<UserRow | null> {
  if (!cookie) return null;
  const claims = await verifySession(cookie, { secret: deps.secret, purpose: 'mfa', config: deps.config });
  if (!claims) return null;
  const user = await getUser(deps.db, claims.userId);
  if (!user || user.disabled || user.sessionVersion !== claims.sv || !user.totpSecret) return null;
  return user;
}

/** `GET|POST /login/2fa`: the TOTP code after a correct password; failures count toward the lockout. */
export const login2fa: WebRoute = (app, deps) => {
  app.get('/login/2fa', { config: { auth: 'public' } }, async (req, reply) => {
    const next = safeNext((req.query as { next?: unknown }).next);
    if (!(await pendingUser(req.cookies[MFA_COOKIE], deps))) return reply.redirect('/login', 303);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) => h((await views()).TwoFactorPage, { ctx, next }));
  });

  app.post<{ Body: { code?: string; next?: string } }>(
    '/login/2fa',
    {
      config: {
        auth: 'public',
        rateLimit: {
          max: deps.config.web.loginRatePerMin,
          timeWindow: 60_000,
          keyGenerator: (req) => `login2fa:${req.ip}`,
        },
      },
    },
    async (req, reply) => {
      const next = safeNext(req.body?.next);
      const ctx = pageContext(req, reply);
      const user = await pendingUser(req.cookies[MFA_COOKIE], deps);
      if (!user) {
        endSession(reply, deps);
        return reply.redirect('/login', 303);
      }
      const email = user.email ?? user.username;
      const locked = user.lockedUntil && user.lockedUntil.getTime() > Date.now();
      const secret = open(user.totpSecret!, deps.secret);
      const step = !locked && secret ? totpStep(secret, String(req.body?.code ?? '')) : null;
      // A code is good once: its time step must be later than the last one accepted for this user.
      const fresh = step !== null && (await acceptTotpStep(deps.db, user.id, step));
      if (!fresh) {
        if (!locked) await recordFailedLogin(deps.db, user.id);
        const reason = locked
          ? 'locked'
          : !secret
            ? 'secret unreadable (signing secret changed?)'
            : step !== null
              ? 'code already used'
              : 'wrong code';
        await auditWeb(req, deps, 'login.failure', email, { reason, step: 'totp' });
        const error = locked
          ? ctx.t('login.locked', { seconds: Math.ceil((user.lockedUntil!.getTime() - Date.now()) / 1000) })
          : ctx.t('twofa.failed');
        return sendPage(reply, async (h) => h((await views()).TwoFactorPage, { ctx, next, error }), locked ? 429 : 401);
      }
      await recordLogin(deps.db, user.id);
      endSession(reply, deps);
      await startSession(reply, user, deps);
      await auditWeb(req, deps, 'login.success', email, { method: 'password+totp' }, `user:${email}`);
      return reply.redirect(next, 303);
    },
  );
};
