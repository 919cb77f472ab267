import type { Config } from '../../config/index.ts';

export const SESSION_COOKIE = 'finrep_session';
/** Between a correct password and the second factor: names the user, lives five minutes. */
export const MFA_COOKIE = 'finrep_mfa';

const ISSUER = 'finrep';
const key = (secret: string) => new TextEncoder().encode(`session:${secret}`);
/** jose (~70 ms of CPU to import): loaded with the first session signed or checked, not at start-up. */
const jose = () => import('jose');

export interface SessionClaims {
  userId: number;
  /** The user's session version when signed: a later bump (logout, password change) revokes it. */
  sv: number;
}

/** A signed session (or pending second-factor) token. */
export async function signSession(
  claims: SessionClaims,
  opts: { secret: string; purpose: 'session' | 'mfa'; config: Config },
): Promise<string> {
  const ttl = opts.purpose === 'session' ? `${opts.config.jwt.expireDays}d` : '5m';
  const { SignJWT } = await jose();
  return new SignJWT({ sv: claims.sv })
    .setProtectedHeader({ alg: opts.config.jwt.algorithm })
    .setSubject(String(claims.userId))
    .setIssuer(ISSUER)
    .setAudience(`finrep-web:${opts.purpose}`)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(key(opts.secret));
}

/** The claims of a valid, unexpired token of that purpose, or null. */
export async function verifySession(
  token: string,
  opts: { secret: string; purpose: 'session' | 'mfa'; config: Config },
): Promise<SessionClaims | null> {
  const { jwtVerify } = await jose();
  try {
    const { payload } = await jwtVerify(token, key(opts.secret), {
      issuer: ISSUER,
      audience: `finrep-web:${opts.purpose}`,
      algorithms: [opts.config.jwt.algorithm],
    });
    const userId = Number(payload.sub);
    if (!Number.isInteger(userId) || typeof payload.sv !== 'number') return null;
    return { userId, sv: payload.sv };
  } catch {
    return null;
  }
}

/** Cookie attributes: HttpOnly, SameSite=Lax, Secure when the public address is https. */
export function cookieOptions(config: Config, maxAgeSec: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.report.publicBaseUrl?.startsWith('https:') ?? false,
    maxAge: maxAgeSec,
  };
}
