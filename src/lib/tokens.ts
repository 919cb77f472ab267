import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signs an unsubscribe token for a recipient (HMAC-SHA256; no expiry: unsubscribe links must keep working). */
export function signUnsubscribe(recipientId: number, email: string, secret: string): string {
  const payload = Buffer.from(`${recipientId}:${email.toLowerCase()}`).toString('base64url');
  const mac = createHmac('sha256', secret).update(`unsubscribe:${payload}`).digest('base64url');
  return `${payload}.${mac}`;
}

/** Verifies an unsubscribe token; returns the recipient it names, or null. */
export function verifyUnsubscribe(token: string, secret: string): { recipientId: number; email: string } | null {
  const [payload, mac] = token.split('.');
  if (!payload || !mac) return null;
  const expected = createHmac('sha256', secret).update(`unsubscribe:${payload}`).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const m = /^(\d+):(.+)$/.exec(Buffer.from(payload, 'base64url').toString());
  return m ? { recipientId: Number(m[1]), email: m[2]! } : null;
}
