/**
 * Why a new password is refused ({@link passwordIssue}), in English by code; the console says the same in the
 * page's language (`web/i18n/areas/texts.ts`), `finrep user` prints the English.
 */
import { textsOf } from '../../lib/coded-text.ts';

export const PASSWORD_TEXTS = {
  'password.short': 'at least {min} characters',
  'password.long': 'at most {max} characters',
  'password.spaces': 'no spaces at the start or end',
} as const;

export type PasswordCode = keyof typeof PASSWORD_TEXTS;

export const passwordText = textsOf(PASSWORD_TEXTS);
