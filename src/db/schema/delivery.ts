import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
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

/**
 * `queued` → `sending` (the SMTP transaction may be under way) → `sent` | `retrying` (a transient failure,
 * due again at `next_attempt_at`) | `failed` (permanent, or out of attempts) | `uncertain` (the outcome is
 * unknown: a crash or a lost connection after the message data went out; never re-sent automatically).
 */
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'uncertain';

/** One finished attempt, kept on the row so that an operator sees every Message-ID that went out. */
export interface DeliveryAttempt {
  at: string;
  status: DeliveryStatus;
  message_id: string | null;
  reply_code: number | null;
  reply: string | null;
  error: string | null;
  owner: string | null;
}

/**
 * One row per edition × recipient, written before each attempt and after it. A worker holds a row through
 * a lease (`lease_owner` = host:pid:nonce, renewed by a heartbeat until `lease_expires_at`), so that only
 * rows whose owner is gone are taken over — and a `sending` row whose owner is gone becomes `uncertain`.
 */
export const deliveryLog = pgTable(
  'delivery_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    editionId: integer('edition_id')
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    recipientId: integer('recipient_id')
      .notNull()
      .references(() => recipients.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    transport: text('transport'),
    messageId: text('message_id'),
    lastReply: text('last_reply'),
    /** The numeric SMTP reply code of the last attempt (250, 451, 550, …), null for a network failure. */
    replyCode: integer('reply_code'),
    error: text('error'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    /** How many times an operator put the row back into the queue. */
    resends: integer('resends').notNull().default(0),
    history: jsonb('history').$type<DeliveryAttempt[]>().notNull().default([]),
    queuedAt: ts('queued_at').notNull().defaultNow(),
    sendingAt: ts('sending_at'),
    sentAt: ts('sent_at'),
    nextAttemptAt: ts('next_attempt_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('delivery_log_edition_recipient_uq').on(t.editionId, t.recipientId),
    index('delivery_log_status_idx').on(t.status),
    index('delivery_log_edition_status_idx').on(t.editionId, t.status),
    // A recipient's last delivery (the console's recipients list), newest first.
    index('delivery_log_recipient_idx').on(t.recipientId, t.id),
    // The next row to lease, in order, without scanning the edition's finished rows.
    index('delivery_log_pending_idx')
      .on(t.editionId, t.id)
      .where(sql`status in ('queued', 'retrying')`),
  ],
);
