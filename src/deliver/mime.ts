import type { SendMailOptions } from 'nodemailer';
import type { MailMessage } from './mailer.ts';

/**
 * Maps our message to nodemailer's options. Both mailers use it, so an outbox `.eml` file holds exactly
 * the MIME an SMTP server would receive. Only in-memory content is passed, never a path or URL (the
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
    attachments: msg.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    headers: { ...msg.headers },
    messageId: msg.messageId,
    date: msg.date,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
