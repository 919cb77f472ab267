import type { FastifyReply, FastifyRequest } from 'fastify';
import { writeAudit } from '../../db/queries/audit.ts';
import type { UserRow } from '../../db/queries/users.ts';
import type { AuthDeps } from './index.ts';
import { cookieOptions, MFA_COOKIE, SESSION_COOKIE, signSession } from './session.ts';

/** Sets the session cookie for `user` at their current session version. */
export async function startSession(reply: FastifyReply, user: UserRow, deps: AuthDeps): Promise<void> {
  const token = await signSession(
    { userId: user.id, sv: user.sessionVersion },
    { secret: deps.secret, purpose: 'session', config: deps.config },
  );
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(deps.config, deps.config.jwt.expireDays * 86_400));
}

/** Sets the short-lived cookie that carries a correct password to the second-factor step. */
export async function startMfa(reply: FastifyReply, user: UserRow, deps: AuthDeps): Promise<void> {
  const token = await signSession(
    { userId: user.id, sv: user.sessionVersion },
    { secret: deps.secret, purpose: 'mfa', config: deps.config },
  );
  reply.setCookie(MFA_COOKIE, token, cookieOptions(deps.config, 300));
}

export function endSession(reply: FastifyReply, deps: AuthDeps): void {
  const { maxAge: _drop, ...opts } = cookieOptions(deps.config, 0);
  reply.clearCookie(SESSION_COOKIE, opts);
  reply.clearCookie(MFA_COOKIE, opts);
}

/** An audit entry for a web request: the caller (or the client address) as actor, plus the request id. */
export async function auditWeb(
  req: FastifyRequest,
  deps: AuthDeps,
  action: string,
  target: string | null,
  detail: Record<string, unknown> = {},
  actor?: string,
): Promise<void> {
  await writeAudit(deps.db, {
    actor: actor ?? req.principal?.actor ?? `ip:${req.ip}`,
    action,
    target,
    detail: { ...detail, ip: req.ip, request_id: req.id },
  });
}
