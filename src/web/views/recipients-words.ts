/** Words of the recipients pages that routes need too (no React here: routes import it at start-up). */
import type { MessageKey } from '../i18n/index.ts';
import type { PageContext } from './layout.tsx';

/** The reasons `checkAddress` gives, in the page's words (an unknown one is shown as it is). */
const REASONS: Record<string, MessageKey> = {
  'missing address': 'recipients.reason.missing address',
  'full-width ＠ — write @': 'recipients.reason.full-width ＠ — write @',
  'contains a space': 'recipients.reason.contains a space',
  'not an e-mail address': 'recipients.reason.not an e-mail address',
  'too long': 'recipients.reason.too long',
  'invalid characters before @': 'recipients.reason.invalid characters before @',
};

/** An address problem in the page's language. */
export function reasonText(ctx: PageContext, reason: string): string {
  const key = REASONS[reason];
  if (key) return ctx.t(key);
  const domain = /^invalid domain "(.*)"$/.exec(reason);
  return domain ? `${ctx.t('recipients.reason.invalid domain')}: ${domain[1]}` : reason;
}
