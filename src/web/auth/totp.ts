import { Secret, TOTP } from 'otpauth';

const PERIOD = 30;

/** RFC 6238 with the parameters every authenticator app understands: SHA-1, 6 digits, 30 s. */
function totp(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: 'finrep',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new random secret (160 bits, base32). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app scans. */
export function totpUri(secretBase32: string, email: string): string {
  return totp(secretBase32, email).toString();
}

/**
 * The time step (`floor(unix seconds / 30)`) of `code` if it is valid now, one period of clock drift either
 * way, else null. Callers that sign in record the step (`acceptTotpStep`) so that a code is used once.
 */
export function totpStep(secretBase32: string, code: string, at = Date.now()): number | null {
  const c = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(c)) return null;
  const delta = totp(secretBase32, 'x').validate({ token: c, timestamp: at, window: 1 });
  return delta === null ? null : Math.floor(at / 1000 / PERIOD) + delta;
}

/** Whether `code` is valid now, one period of clock drift either way (no replay check: see `totpStep`). */
export function verifyTotp(secretBase32: string, code: string, at = Date.now()): boolean {
  return totpStep(secretBase32, code, at) !== null;
}

/** The current code (tests and the CLI's self-check). */
export function currentTotp(secretBase32: string, at = Date.now()): string {
  return totp(secretBase32, 'x').generate({ timestamp: at });
}

/** The URI as an SVG QR code, rendered here (no script in the page), as a `data:` URL for an `<img>`. */
export async function totpQrDataUrl(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
