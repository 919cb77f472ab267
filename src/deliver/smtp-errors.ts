import { MailError } from './mailer.ts';
import type { MailErrorScope } from './mailer.ts';

/** The properties nodemailer puts on its errors (see `NodemailerError`), read defensively. */
interface NodemailerErrorLike {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  originalCode?: unknown;
}

/** Network-level failures: the server may be back in a minute. */
const NETWORK_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'EPROXY',
  'EMAXLIMIT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Configuration failures: no retry helps until an operator changes something. */
const CONFIG_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'EREQUIRETLS', 'ECONFIG']);

/** Commands whose rejection concerns the session or the sender, not this recipient. */
const SESSION_COMMANDS = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL FROM|API)/;

/**
 * RFC 5321: 5yz is a permanent rejection, 4yz a transient one. 503 (bad sequence of commands) is a
 * session-state problem and goes through on a new connection, so it is not permanent (as nodemailer 10
 * decides too).
 */
export function isPermanentReply(responseCode: number): boolean {
  return responseCode >= 500 && responseCode < 600 && responseCode !== 503;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Replaces every secret (and the base64 forms AUTH PLAIN/LOGIN put on the wire) with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

/** The strings that must never appear in an error or a log for this login. */
export function secretsOf(user: string | undefined, pass: string | undefined): string[] {
  if (!pass) return [];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return [pass, b64(pass), b64(`\u0000${user ?? ''}\u0000${pass}`)].sort((a, b) => b.length - a.length);
}

function classify(
  code: string,
  responseCode: number | undefined,
  command: string,
  message: string,
): { permanent: boolean; scope: MailErrorScope } {
  if (CONFIG_CODES.has(code) || command.startsWith('AUTH')) {
    // A 454 "temporary authentication failure" is worth a retry; a refused login is not.
    return { permanent: responseCode === undefined ? true : isPermanentReply(responseCode), scope: 'mailer' };
  }
  if (responseCode !== undefined) {
    const scope: MailErrorScope = responseCode === 421 || SESSION_COMMANDS.test(command) ? 'mailer' : 'recipient';
    return { permanent: isPermanentReply(responseCode), scope };
  }
  if (NETWORK_CODES.has(code) || code === 'ETLS') return { permanent: false, scope: 'mailer' };
  if (code === 'EENVELOPE') {
    // Rejected before anything was sent: a malformed address. Ours if it is the sender.
    return { permanent: true, scope: /sender/i.test(message) ? 'mailer' : 'recipient' };
  }
  if (code === 'EMESSAGE') return { permanent: true, scope: 'recipient' }; // larger than the server's SIZE
  return { permanent: false, scope: 'mailer' };
}

/**
 * Turns whatever nodemailer rejected with into a {@link MailError}: 5xx → permanent, 4xx and network
 * failures → transient, with the server's reply kept. `secrets` are scrubbed from the message and the
 * reply; the original error is kept as `cause` only when it contained none of them. `uncertain` marks a
 * failure after the message data went out with no reply (the server may have accepted the message).
 */
export function toMailError(
  err: unknown,
  secrets: readonly string[] = [],
  extra: { uncertain?: boolean } = {},
): MailError {
  if (err instanceof MailError) return err;
  const e: NodemailerErrorLike =
    typeof err === 'object' && err !== null ? (err as NodemailerErrorLike) : { message: String(err) };
  const rawMessage = str(e.message) ?? 'mail transport error';
  const rawResponse = str(e.response);
  const code = str(e.code) ?? 'EUNKNOWN';
  const command = str(e.command) ?? '';
  const responseCode =
    typeof e.responseCode === 'number' && Number.isInteger(e.responseCode) ? e.responseCode : undefined;
  const message = redact(rawMessage, secrets);
  const response = rawResponse === undefined ? undefined : redact(rawResponse, secrets);
  const clean = message === rawMessage && response === rawResponse;
  const { permanent, scope } = classify(code, responseCode, command, message);
  const originalCode = str(e.originalCode);
  return new MailError(message, {
    code,
    permanent,
    scope,
    ...(extra.uncertain && { uncertain: true }),
    ...(responseCode !== undefined && { responseCode }),
    ...(response !== undefined && { response }),
    ...(command !== '' && { command }),
    ...(originalCode !== undefined && { originalCode }),
    ...(clean && { cause: err }),
  });
}
