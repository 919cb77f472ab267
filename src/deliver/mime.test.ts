import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { buildMessage } from './message.ts';
import type { MailMessage } from './mailer.ts';
import { compileMessage, compileMessageParts, toSendMailOptions } from './mime.ts';

const WORKBOOK = randomBytes(300_000);
const CHART = randomBytes(40_000);
const ICON = randomBytes(600);

function message(to: string, name: string | null): MailMessage {
  return buildMessage({
    edition: '2025-11-10',
    to: { address: to, name },
    from: { address: 'report@finrep.example.com', name: '金融情报日报' },
    subject: '金融情报日报｜2025-11-10',
    html: `<h1>今日要闻</h1><p>${name ?? ''}您好</p><img src="cid:chart@finrep"><img src="cid:icon@finrep">`,
    text: `今日要闻\n${name ?? ''}您好`,
    xlsx: WORKBOOK,
    xlsxName: '金融情报日报-2025-11-10.xlsx',
    unsubscribeUrl: `https://finrep.example.com/unsubscribe?t=${to}`,
    inlineImages: [
      { cid: 'chart@finrep', filename: 'chart-categories.png', content: CHART, contentType: 'image/png' },
      { cid: 'icon@finrep', filename: 'icon.png', content: ICON, contentType: 'image/png' },
    ],
    messageIdDomain: 'finrep.example.com',
    date: new Date('2025-11-09T22:10:00Z'),
  });
}

/** The message as nodemailer alone composes it, every attachment encoded with it. */
async function reference(msg: MailMessage): Promise<Buffer> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return (await composer.sendMail(toSendMailOptions(msg))).message as Buffer;
}

/** Multipart boundaries are random per message: the same placeholder for both sides of a comparison. */
const sameBoundaries = (raw: Buffer) => raw.toString('latin1').replace(/_NmP-[0-9a-f]+-Part_/g, '_NmP-x-Part_');

describe('compileMessage', () => {
  it('writes byte for byte what nodemailer writes, attachments encoded once', async () => {
    const msg = message('li.si@example.com', '李四');
    expect(sameBoundaries(await compileMessage(msg))).toBe(sameBoundaries(await reference(msg)));
  });

  it('shares the encoded workbook and large images between messages, holding no copy per message', async () => {
    const a = await compileMessageParts(message('li.si@example.com', '李四'));
    const b = await compileMessageParts(message('wang.wu@example.com', null));
    const big = (parts: Buffer[]) => parts.filter((p) => p.length > 100_000);
    // The workbook's part (400 KB of base64) is one Buffer, the same in both messages.
    expect(big(a)).toHaveLength(1);
    expect(big(a)[0]).toBe(big(b)[0]);
    const shared = a.filter((p) => b.includes(p));
    expect(shared).toHaveLength(2); // the workbook and the 40 KB chart; the 600-byte icon goes with each message
    // What each message holds of its own is small.
    const own = a.filter((p) => !b.includes(p)).reduce((n, p) => n + p.length, 0);
    expect(own).toBeLessThan(10_000);
  });

  it('gives each reader the attachments intact', async () => {
    const parsed = await simpleParser(await compileMessage(message('zhao.liu@example.com', '赵六')));
    const byName = new Map(parsed.attachments.map((x) => [x.filename, x]));
    expect(byName.get('金融情报日报-2025-11-10.xlsx')?.content.equals(WORKBOOK)).toBe(true);
    expect(byName.get('chart-categories.png')?.content.equals(CHART)).toBe(true);
    expect(byName.get('chart-categories.png')?.contentId).toBe('<chart@finrep>');
    expect(byName.get('icon.png')?.content.equals(ICON)).toBe(true);
    expect(parsed.html).toContain('赵六您好');
  });
});
