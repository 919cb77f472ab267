/** Delivery: the `Mailer` the stage needs, its SMTP and outbox adapters, the per-recipient message and the loop. */
export { MailError, DeliverError } from './mailer.ts';
export type {
  Mailer,
  MailMessage,
  MailAddress,
  MailAttachment,
  InlineImage,
  SendResult,
  MailErrorScope,
  MailErrorInit,
} from './mailer.ts';
export { createSmtpMailer } from './smtp.ts';
export type { SmtpMailerOptions } from './smtp.ts';
export { createOutboxMailer, outboxFileName } from './outbox.ts';
export { buildMessage, newMessageId, XLSX_CONTENT_TYPE } from './message.ts';
export type { BuildMessageInput } from './message.ts';
export { toMailError, isPermanentReply } from './smtp-errors.ts';
// The loop (`run.ts`: runDeliver) and the renderers (`render.ts`) are imported from their files: they pull
// in the report templates, which commands that only need a mailer should not load.
export {
  createRateLimiter,
  createLocalRateLimiter,
  createRedisRateLimiter,
  defaultConcurrency,
  RATE_LIMIT_KEY,
} from './rate-limit.ts';
export type { RateLimiter } from './rate-limit.ts';
export { newLeaseOwner, PROCESS_OWNER } from './lease.ts';
