import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import type { MailMessage } from './mailer.ts';

/**
 * Maps our message to nodemailer's options. Only in-memory content is passed, never a path or URL (the
 * transports also refuse file and URL access).
 */
export function toSendMailOptions(msg: MailMessage): SendMailOptions {
  return {
    from: { name: msg.from.name, address: msg.from.address },
    to: msg.to.name ? { name: msg.to.name, address: msg.to.address } : msg.to.address,
    // One recipient per message: the envelope is exactly the To address, whatever the headers say.
    envelope: { from: msg.from.address, to: [msg.to.address] },
    subject: msg.subject,
    text: msg.text,
    html: msg.html,
    attachments: msg.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      ...(a.cid !== undefined && { cid: a.cid, contentDisposition: 'inline' as const }),
    })),
    headers: { ...msg.headers },
    messageId: msg.messageId,
    date: msg.date,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

const composer = nodemailer.createTransport({
  streamTransport: true,
  buffer: true,
  newline: 'windows',
  disableFileAccess: true,
  disableUrlAccess: true,
  logger: false,
});

/**
 * The complete RFC 5322 message (CRLF line ends) as both mailers deliver it: the SMTP mailer streams these
 * bytes after DATA, the outbox writes them to an `.eml` file.
 */
export async function compileMessage(msg: MailMessage): Promise<Buffer> {
  const info = await composer.sendMail(toSendMailOptions(msg));
  if (!Buffer.isBuffer(info.message)) throw new Error('stream transport returned no buffer');
  return info.message;
}
