import { describe, expect, it } from 'vitest';
import { MailError } from './mailer.ts';
import { isPermanentReply, redact, secretsOf, toMailError } from './smtp-errors.ts';

/** Builds an error shaped like the ones nodemailer 10 rejects with. */
function nmError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('toMailError', () => {
  const cases = [
    {
      name: '550 to RCPT',
      err: nmError("Can't send mail - all recipients were rejected: 550 No such user", {
        code: 'EENVELOPE',
        responseCode: 550,
        response: '550 No such user',
        command: 'RCPT TO',
      }),
      permanent: true,
      scope: 'recipient',
    },
    {
      name: '451 to RCPT',
      err: nmError('Recipient command failed: 451 Try later', {
        code: 'EENVELOPE',
        responseCode: 451,
        response: '451 Try later',
        command: 'RCPT TO',
      }),
      permanent: false,
      scope: 'recipient',
    },
    {
      name: '554 after DATA',
      err: nmError('Message failed: 554 Spam', {
        code: 'EMESSAGE',
        responseCode: 554,
        response: '554 Spam',
        command: 'DATA',
      }),
      permanent: true,
      scope: 'recipient',
    },
    {
      name: '503 bad sequence is not permanent',
      err: nmError('Data command failed: 503 Bad sequence', {
        code: 'EENVELOPE',
        responseCode: 503,
        response: '503 Bad sequence',
        command: 'DATA',
      }),
      permanent: false,
      scope: 'recipient',
    },
    {
      name: '421 closing is the server’s',
      err: nmError('Message failed: 421 Too busy', {
        code: 'EMESSAGE',
        responseCode: 421,
        response: '421 Too busy',
        command: 'DATA',
      }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: '553 sender rejected',
      err: nmError('Mail command failed: 553 Sender not allowed', {
        code: 'EENVELOPE',
        responseCode: 553,
        response: '553 Sender not allowed',
        command: 'MAIL FROM',
      }),
      permanent: true,
      scope: 'mailer',
    },
    {
      name: '535 bad login',
      err: nmError('Invalid login: 535 Bad credentials', {
        code: 'EAUTH',
        responseCode: 535,
        response: '535 Bad credentials',
        command: 'AUTH PLAIN',
      }),
      permanent: true,
      scope: 'mailer',
    },
    {
      name: '454 temporary auth failure',
      err: nmError('Invalid login: 454 Try again', {
        code: 'EAUTH',
        responseCode: 454,
        response: '454 Try again',
        command: 'AUTH LOGIN',
      }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: 'missing credentials',
      err: nmError('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' }),
      permanent: true,
      scope: 'mailer',
    },
    {
      name: 'connection refused',
      err: nmError('connect ECONNREFUSED 127.0.0.1:25', {
        code: 'ESOCKET',
        originalCode: 'ECONNREFUSED',
        command: 'CONN',
      }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: 'connection closed',
      err: nmError('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: 'greeting timeout',
      err: nmError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: 'DNS failure',
      err: nmError('getaddrinfo EAI_AGAIN smtp.example.com', { code: 'EDNS', originalCode: 'EAI_AGAIN' }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: 'TLS handshake',
      err: nmError('self-signed certificate', { code: 'ETLS', command: 'CONN' }),
      permanent: false,
      scope: 'mailer',
    },
    {
      name: 'malformed recipient',
      err: nmError('Invalid recipient "a b"', { code: 'EENVELOPE', command: 'API' }),
      permanent: true,
      scope: 'recipient',
    },
    {
      name: 'malformed sender',
      err: nmError('Invalid sender "a b"', { code: 'EENVELOPE', command: 'API' }),
      permanent: true,
      scope: 'mailer',
    },
    {
      name: 'too large for the server',
      err: nmError('Message size larger than allowed 1000', { code: 'EMESSAGE', command: 'MAIL FROM' }),
      permanent: true,
      scope: 'recipient',
    },
    { name: 'unknown error', err: new Error('boom'), permanent: false, scope: 'mailer' },
    { name: 'not an Error', err: 'boom', permanent: false, scope: 'mailer' },
  ] as const;

  it.each(cases)('$name', ({ err, permanent, scope }) => {
    const mailErr = toMailError(err);
    expect(mailErr).toBeInstanceOf(MailError);
    expect(mailErr).toMatchObject({ permanent, scope });
  });

  it('keeps the reply, command and system code', () => {
    const err = toMailError(
      nmError('connect ECONNREFUSED', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }),
    );
    expect(err).toMatchObject({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' });
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('scrubs the password and drops a cause that contains it', () => {
    const secrets = secretsOf('finrep', 'hunter2-secret');
    const leaky = nmError('Invalid login: 535 bad password hunter2-secret', {
      code: 'EAUTH',
      responseCode: 535,
      response: '535 bad password hunter2-secret',
      command: 'AUTH PLAIN',
    });
    const err = toMailError(leaky, secrets);
    expect(err.message).toBe('Invalid login: 535 bad password [redacted]');
    expect(err.response).toBe('535 bad password [redacted]');
    expect(err.cause).toBeUndefined();
  });

  it('returns a MailError unchanged', () => {
    const original = new MailError('x', { code: 'EOUTBOX', permanent: false, scope: 'mailer' });
    expect(toMailError(original)).toBe(original);
  });
});

describe('secretsOf / redact', () => {
  it('covers the password and its AUTH PLAIN / LOGIN encodings', () => {
    const secrets = secretsOf('u', 'pw-秘密');
    const plain = Buffer.from('\u0000u\u0000pw-秘密').toString('base64');
    const login = Buffer.from('pw-秘密').toString('base64');
    expect(redact(`AUTH PLAIN ${plain}`, secrets)).toBe('AUTH PLAIN [redacted]');
    expect(redact(`${login} / pw-秘密`, secrets)).toBe('[redacted] / [redacted]');
    expect(secretsOf('u', undefined)).toEqual([]);
  });
});

describe('isPermanentReply', () => {
  it.each([
    { code: 550, permanent: true },
    { code: 554, permanent: true },
    { code: 503, permanent: false },
    { code: 451, permanent: false },
    { code: 421, permanent: false },
    { code: 250, permanent: false },
  ])('$code → $permanent', ({ code, permanent }) => expect(isPermanentReply(code)).toBe(permanent));
});
