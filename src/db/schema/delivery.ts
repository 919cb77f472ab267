import { bigserial, boolean, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { editions } from './editions.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The recipient whitelist: only enabled, subscribed recipients receive editions. */
export const recipients = pgTable('recipients', {
  id: serial('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name'),
  groups: jsonb('groups').$type<string[]>().notNull().default([]),
  enabled: boolean('enabled').notNull().default(true),
  unsubscribedAt: timestamp('unsubscribed_at', { withTimezone: true, mode: 'date' }),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'uncertain';

/** One row per edition × recipient, written before each attempt and after it. */
export const deliveryLog = pgTable('delivery_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  editionId: integer('edition_id').notNull().references(() => editions.id, { onDelete: 'cascade' }),
  recipientId: integer('recipient_id').notNull().references(() => recipients.id, { onDelete: 'cascade' }),
  email: text('email').notNull(),
  status: text('status').$type<DeliveryStatus>().notNull().default('queued'),
  attempts: integer('attempts').notNull().default(0),
  transport: text('transport'),
  messageId: text('message_id'),
  lastReply: text('last_reply'),
  error: text('error'),
  queuedAt: ts('queued_at').notNull().defaultNow(),
  sendingAt: ts('sending_at'),
  sentAt: ts('sent_at'),
  nextAttemptAt: ts('next_attempt_at'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('delivery_log_edition_recipient_uq').on(t.editionId, t.recipientId),
  index('delivery_log_status_idx').on(t.status),
]);
