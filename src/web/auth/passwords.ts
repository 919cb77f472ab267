import type { CodedText } from '../../lib/coded-text.ts';
import { passwordText } from './password-texts.ts';

/** `Algorithm.Argon2id` (a const enum the package declares but does not export at run time). */
const ARGON2ID = 2;

/** The shortest password finrep accepts. */
export const MIN_PASSWORD_LENGTH = 10;

// OWASP's argon2id baseline (19 MiB, 2 passes): ~20 ms per hash on the project machines.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A hash of nothing anyone can type: verified against when the account does not exist, so that takes as long. */
let dummy: Promise<string> | null = null;

/** The argon2 binding, loaded with the first password hashed or checked, not at start-up. */
const argon2 = () => import('@node-rs/argon2');

/** The argon2id hash of a password (PHC string, salt included). */
export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password, OPTIONS);
}

/** Whether `password` matches `stored`; with no stored hash it still spends the time of one check. */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  const { hash, verify } = await argon2();
  if (!stored) {
    dummy ??= hash(`finrep-no-such-user-${Math.random()}`, OPTIONS);
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * Why `password` is not acceptable as a new password (coded, `password-texts.ts`), or null.
 * @example passwordIssue('short')?.text // 'at least 10 characters'
 */
export function passwordIssue(password: string): CodedText | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return passwordText('password.short', { min: MIN_PASSWORD_LENGTH });
  if (password.length > 1024) return passwordText('password.long', { max: 1024 });
  if (password.trim() !== password) return passwordText('password.spaces');
  return null;
}

/** Why `password` is not acceptable, in English (what `finrep user` prints), or null. */
export function passwordProblem(password: string): string | null {
  return passwordIssue(password)?.text ?? null;
}
