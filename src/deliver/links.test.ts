import { describe, expect, it } from 'vitest';
import { signUnsubscribe } from '../lib/tokens.ts';
import { signWebView, unsubscribeUrlFor, verifyUnsubscribe, verifyWebView, webViewUrlFor } from './links.ts';

const SECRET = 'secret-secret-secret-secret';
const now = new Date('2025-11-10T00:00:00Z');
const grant = { edition: '2025-11-10', recipientId: 42, expiresAt: new Date('2025-12-10T00:00:00Z') };

describe('mail links', () => {
  it('the unsubscribe URL keeps the shape of the mails already sent', () => {
    const url = unsubscribeUrlFor('https://finrep.example.com/', 42, 'Zhang@Example.com', SECRET);
    expect(url).toBe(`https://finrep.example.com/unsubscribe?t=${signUnsubscribe(42, 'zhang@example.com', SECRET)}`);
    expect(verifyUnsubscribe(new URL(url).searchParams.get('t')!, SECRET)).toEqual({
      recipientId: 42,
      email: 'zhang@example.com',
    });
  });

  it('a web-view link names the edition and the recipient, and expires', () => {
    const url = new URL(webViewUrlFor('https://finrep.example.com', '2025-11-10', 42, SECRET, { days: 30, now }));
    expect(url.pathname).toBe('/reports/2025-11-10');
    const t = url.searchParams.get('t')!;
    expect(verifyWebView(t, SECRET, now)).toEqual({ status: 'ok', grant });
    expect(verifyWebView(t, SECRET, new Date('2025-12-10T00:00:01Z'))).toEqual({ status: 'expired' });
  });

  const token = signWebView(grant, SECRET);
  const [payload, mac] = token.split('.') as [string, string];
  const forged = (text: string) => Buffer.from(text).toString('base64url');
  it.each([
    { name: 'another secret', t: token, secret: 'another-secret-another-secret' },
    { name: 'a changed recipient', t: `${forged('2025-11-10:43:1765324800')}.${mac}`, secret: SECRET },
    { name: 'a later expiry', t: `${forged('2025-11-10:42:1893456000')}.${mac}`, secret: SECRET },
    {
      name: 'a flipped MAC character',
      t: `${payload}.${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.at(-1)}`,
      secret: SECRET,
    },
    { name: 'a truncated MAC', t: `${payload}.${mac.slice(0, 20)}`, secret: SECRET },
    { name: 'no MAC', t: payload, secret: SECRET },
    { name: 'an extra part', t: `${token}.x`, secret: SECRET },
    { name: 'an unsubscribe token', t: signUnsubscribe(42, 'a@example.com', SECRET), secret: SECRET },
    { name: 'garbage', t: '%%%.<script>', secret: SECRET },
  ])('refuses $name', ({ t, secret }) => {
    expect(verifyWebView(t, secret, now)).toEqual({ status: 'invalid' });
  });
});
