import { bumpSessionVersion } from '../../db/queries/users.ts';
import { auditWeb, endSession } from '../auth/sign-in.ts';
import type { WebRoute } from '../deps.ts';

/** `POST /logout`: ends the session here and revokes every other session of the user (session version). */
export const logout: WebRoute = (app, deps) => {
  app.post('/logout', { config: { auth: 'viewer', before2fa: true } }, async (req, reply) => {
    const p = req.principal;
    if (p?.kind === 'session') {
      await bumpSessionVersion(deps.db, p.user.id);
      await auditWeb(req, deps, 'logout', p.user.email ?? p.user.username);
    }
    endSession(reply, deps);
    return reply.redirect('/login?out=1', 303);
  });
};
