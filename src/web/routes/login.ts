import { countUsers, findUserByEmail, recordFailedLogin, recordLogin } from '../../db/queries/users.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { auditWeb, startMfa, startSession } from '../auth/sign-in.ts';
import type { WebRoute } from '../deps.ts';
import { pageContext, safeNext, sendPage } from '../render.ts';

const views = () => import('../views/login.tsx');

interface LoginBody {
  email?: string;
  password?: string;
  next?: string;
}

/**
 * `GET /login` and `POST /login`: email and password, then (for a user with TOTP) the second step. Throttled
 * per client address (rate limit, WEB_LOGIN_RATE_PER_MIN) and per account (lockout with back-off after five
 * failures); every outcome is audited, never the password.
 */
export const login: WebRoute = (app, deps) => {
  app.get('/login', { config: { auth: 'public' } }, async (req, reply) => {
    const next = safeNext((req.query as { next?: unknown }).next);
    if (req.principal?.kind === 'session') return reply.redirect(next, 303);
    const ctx = pageContext(req, reply);
    const info = (req.query as { out?: unknown }).out === '1' ? ctx.t('login.signedOut') : undefined;
    const noUsers = (await countUsers(deps.db)) === 0;
    return sendPage(reply, async (h) => h((await views()).LoginPage, { ctx, next, noUsers, info }));
  });

  app.post<{ Body: LoginBody }>(
    '/login',
    {
      config: {
        auth: 'public',
        rateLimit: {
          max: deps.config.web.loginRatePerMin,
          timeWindow: 60_000,
          keyGenerator: (req) => `login:${req.ip}`,
          errorResponseBuilder: (_req, ctx) => ({
            statusCode: 429,
            code: 'FST_LOGIN_THROTTLED',
            error: 'too many requests',
            message: `too many sign-in attempts; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
          }),
        },
      },
    },
    async (req, reply) => {
      const email = String(req.body?.email ?? '')
        .trim()
        .toLowerCase()
        .slice(0, 320);
      const password = String(req.body?.password ?? '');
      const next = safeNext(req.body?.next);
      const ctx = pageContext(req, reply);
      const page = (error: string, status: number) =>
        sendPage(reply, async (h) => h((await views()).LoginPage, { ctx, next, email, error, noUsers: false }), status);

      const user = email ? await findUserByEmail(deps.db, email) : null;
      if (user?.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
        const seconds = Math.ceil((user.lockedUntil.getTime() - Date.now()) / 1000);
        await auditWeb(req, deps, 'login.locked', email, { seconds });
        reply.header('retry-after', String(seconds));
        return page(ctx.t('login.locked', { seconds }), 429);
      }
      const ok = (await verifyPassword(user?.passwordHash ?? null, password)) && user !== null && !user.disabled;
      if (!ok || !user) {
        const lockedUntil = user ? await recordFailedLogin(deps.db, user.id) : null;
        const reason = !user ? 'unknown user' : user.disabled ? 'disabled' : 'wrong password';
        await auditWeb(req, deps, 'login.failure', email || null, {
          reason,
          locked_until: lockedUntil?.toISOString() ?? null,
        });
        return page(ctx.t('login.failed'), 401);
      }
      if (user.totpEnabledAt && user.totpSecret) {
        await startMfa(reply, user, deps);
        return reply.redirect(`/login/2fa?next=${encodeURIComponent(next)}`, 303);
      }
      await recordLogin(deps.db, user.id);
      await startSession(reply, user, deps);
      await auditWeb(req, deps, 'login.success', email, { method: 'password' }, `user:${email}`);
      return reply.redirect(next, 303);
    },
  );
};
