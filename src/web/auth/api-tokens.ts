import { createHash, randomBytes } from 'node:crypto';

/** API tokens look like `frp_<43 base64url characters>` (256 random bits). */
export const TOKEN_PREFIX = 'frp_';

/** The hex SHA-256 under which a token is stored and looked up. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token, its hash and the short prefix shown in listings. The token itself is shown once and never stored. */
export function newApiToken(): { token: string; hash: string; prefix: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashApiToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}
