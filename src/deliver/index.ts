/** Delivery: the `Mailer` the stage needs, its SMTP and outbox adapters, and the per-recipient message. */
export { MailError } from './mailer.ts';
export type { Mailer, MailMessage, MailAddress, MailAttachment, SendResult, MailErrorScope, MailErrorInit } from './mailer.ts';
export { createSmtpMailer } from './smtp.ts';
export type { SmtpMailerOptions } from './smtp.ts';
export { createOutboxMailer, outboxFileName } from './outbox.ts';
export { buildMessage, newMessageId, XLSX_CONTENT_TYPE } from './message.ts';
export type { BuildMessageInput } from './message.ts';
export { toMailError, isPermanentReply } from './smtp-errors.ts';
