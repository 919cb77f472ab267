import { describe, expect, it } from 'vitest';
import { MailError } from './mailer.ts';
import { buildMessage, newMessageId, XLSX_CONTENT_TYPE } from './message.ts';
import type { BuildMessageInput } from './message.ts';

const base: BuildMessageInput = {
  edition: '2025-11-10',
  to: { address: 'li.si@example.com', name: '李四' },
  from: { address: 'report@finrep.example.com', name: '金融情报日报' },
  subject: '金融情报日报｜2025-11-10',
  html: '<p>今日要闻</p>',
  text: '今日要闻',
  xlsx: Buffer.from('PK'),
  xlsxName: '金融情报日报-2025-11-10.xlsx',
  unsubscribeUrl: 'https://finrep.example.com/unsubscribe?t=abc',
  messageIdDomain: 'finrep.example.com',
  date: new Date('2025-11-09T22:00:00Z'),
};

describe('buildMessage', () => {
  it('builds the message with edition, attachment and a fresh Message-ID', () => {
    const a = buildMessage(base);
    const b = buildMessage(base);
    expect(a.messageId).toMatch(/^<finrep\.2025-11-10\.[0-9a-f]{18}@finrep\.example\.com>$/);
    expect(a.messageId).not.toBe(b.messageId);
    expect(a.date).toEqual(base.date);
    expect(a.headers['X-Finrep-Edition']).toBe('2025-11-10');
    expect(a.attachments).toEqual([{ filename: base.xlsxName, content: base.xlsx, contentType: XLSX_CONTENT_TYPE }]);
    expect(a.to).toEqual({ address: 'li.si@example.com', name: '李四' });
  });

  it.each([
    {
      name: 'URL only',
      url: 'https://x.example.com/u?t=1',
      mailto: undefined,
      header: '<https://x.example.com/u?t=1>',
    },
    {
      name: 'URL and mailbox',
      url: 'https://x.example.com/u',
      mailto: 'unsub@example.com',
      header: '<https://x.example.com/u>, <mailto:unsub@example.com>',
    },
    {
      name: 'mailto: prefix kept once',
      url: 'http://127.0.0.1:8080/u',
      mailto: 'mailto:unsub@example.com?subject=stop',
      header: '<http://127.0.0.1:8080/u>, <mailto:unsub@example.com?subject=stop>',
    },
  ])('List-Unsubscribe: $name', ({ url, mailto, header }) => {
    const msg = buildMessage({ ...base, unsubscribeUrl: url, unsubscribeMailto: mailto ?? null });
    expect(msg.headers['List-Unsubscribe']).toBe(header);
    expect(msg.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('sends no unsubscribe headers without a URL', () => {
    const msg = buildMessage({ ...base, unsubscribeUrl: null, unsubscribeMailto: 'unsub@example.com' });
    expect(msg.headers['List-Unsubscribe']).toBeUndefined();
    expect(msg.headers['List-Unsubscribe-Post']).toBeUndefined();
  });

  it.each([
    { name: 'no @', address: 'li.si.example.com' },
    { name: 'spaces', address: 'li si@example.com' },
    { name: 'header injection', address: 'a@example.com\r\nBcc: x@evil.example' },
    { name: 'empty', address: '' },
  ])('refuses a bad recipient ($name) with a permanent MailError', ({ address }) => {
    let err: unknown;
    try {
      buildMessage({ ...base, to: { address, name: null } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MailError);
    expect(err).toMatchObject({ code: 'EADDRESS', permanent: true, scope: 'recipient' });
  });

  it.each([
    { name: 'javascript: URL', input: { unsubscribeUrl: 'javascript:alert(1)' } },
    { name: 'relative URL', input: { unsubscribeUrl: '/unsubscribe' } },
    { name: 'bad mailbox', input: { unsubscribeMailto: 'not a mailbox' } },
    { name: 'bad Message-ID domain', input: { messageIdDomain: 'exa mple.com' } },
  ])('refuses $name', ({ input }) => {
    expect(() => buildMessage({ ...base, ...input })).toThrow(/invalid|must be/);
  });

  it('puts an internationalised domain into the Message-ID as punycode', () => {
    const msg = buildMessage({ ...base, messageIdDomain: '例子.cn' });
    expect(msg.messageId).toMatch(/@xn--fsqu00a\.cn>$/);
  });

  it('keeps only safe characters of the edition in the Message-ID', () => {
    expect(newMessageId('2025-11-10 晚间', 'example.com')).toMatch(
      /^<finrep\.2025-11-10-{3}\.[0-9a-f]+@example\.com>$/,
    );
  });
});
