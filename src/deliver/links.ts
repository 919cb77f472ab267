/**
 * The links every mail carries, signed so that they cannot be forged or guessed: the one-click unsubscribe
 * URL (RFC 8058; it never expires, mails sent years ago must keep working) and the per-recipient web view
 * link (it expires). The web server verifies them with the same functions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { signUnsubscribe } from '../lib/tokens.ts';

export { verifyUnsubscribe } from '../lib/tokens.ts';

/** How long a mail's 在线查看 link opens the edition without signing in, unless WEB_VIEW_LINK_DAYS says otherwise. */
export const WEB_VIEW_LINK_DAYS = 30;

const base = (publicBaseUrl: string) => publicBaseUrl.replace(/\/+$/, '');

/** The recipient's unsubscribe URL: `<base>/unsubscribe?t=<token>` (the shape every mail sent so far carries). */
export function unsubscribeUrlFor(publicBaseUrl: string, recipientId: number, email: string, secret: string): string {
  return `${base(publicBaseUrl)}/unsubscribe?t=${signUnsubscribe(recipientId, email, secret)}`;
}

/** What a web-view token grants: one edition, for one recipient, until `expiresAt`. */
export interface WebViewGrant {
  edition: string;
  recipientId: number;
  expiresAt: Date;
}

const mac = (payload: string, secret: string) => createHmac('sha256', secret).update(`webview:${payload}`).digest();

/** Signs a web-view grant (HMAC-SHA256 under the server's secret; purpose-bound, so no other token passes). */
export function signWebView(g: WebViewGrant, secret: string): string {
  const payload = Buffer.from(`${g.edition}:${g.recipientId}:${Math.floor(g.expiresAt.getTime() / 1000)}`).toString(
    'base64url',
  );
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

/**
 * Checks a web-view token: `invalid` when it was not signed with `secret` (tampered, truncated, another
 * link's token), `expired` after its time, otherwise the grant.
 */
export function verifyWebView(
  token: string,
  secret: string,
  now = new Date(),
): { status: 'ok'; grant: WebViewGrant } | { status: 'invalid' | 'expired' } {
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return { status: 'invalid' };
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(payload, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 'invalid' };
  const m = /^(\d{4}-\d{2}-\d{2}):(\d+):(\d+)$/.exec(Buffer.from(payload, 'base64url').toString());
  if (!m) return { status: 'invalid' };
  const grant = { edition: m[1]!, recipientId: Number(m[2]), expiresAt: new Date(Number(m[3]) * 1000) };
  return grant.expiresAt.getTime() <= now.getTime() ? { status: 'expired' } : { status: 'ok', grant };
}

/** The generic web-view address of an edition (signed-in users): `<base>/reports/<edition>`. */
export function webViewPath(edition: string): string {
  return `/reports/${edition}`;
}

/**
 * The recipient's 在线查看 link: the edition's address with a signed, expiring token.
 *
 * @example webViewUrlFor('https://finrep.example.com', '2025-11-10', 3, secret) // 'https://…/reports/2025-11-10?t=…'
 */
export function webViewUrlFor(
  publicBaseUrl: string,
  edition: string,
  recipientId: number,
  secret: string,
  opts: { days?: number; now?: Date } = {},
): string {
  const expiresAt = new Date((opts.now ?? new Date()).getTime() + (opts.days ?? WEB_VIEW_LINK_DAYS) * 86_400_000);
  return `${base(publicBaseUrl)}${webViewPath(edition)}?t=${signWebView({ edition, recipientId, expiresAt }, secret)}`;
}
