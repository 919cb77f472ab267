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
import { storyClusters } from './articles.ts';
import type { DeliveryAttempt, DeliveryStatus } from './delivery.ts';
import { editions, runs } from './editions.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Where a chat channel posts: the platform decides the payload, the signature and the limits. */
export type ChannelKind = 'wecom' | 'feishu' | 'dingtalk' | 'telegram' | 'webhook';

/** Per-kind settings that are not secret (the URL and the signing secret are sealed apart). */
export interface ChannelOptions {
  /** Telegram: the chat the bot posts to (`-100…` for a group or channel, `@name` for a public channel). */
  chatId?: string;
  /** DingTalk: the robot's custom keywords; every message must contain one (the platform refuses others). */
  keywords?: string[];
  /** Generic webhook: `json` (finrep's own document) or `slack` (Slack-compatible `text` + `blocks`). */
  format?: 'json' | 'slack';
  /** Stories per edition message. @defaultValue 10 */
  maxItems?: number;
}

/**
 * A configured chat destination (企业微信 / 飞书 / 钉钉 robot, Telegram bot, generic webhook). The whole webhook
 * URL carries the platform's token, so it is stored sealed (`secret-box`) like the signing secret, and shown
 * redacted. `group` routes the channel like a recipient group: an edition run for some groups sends only to
 * channels of those groups (a channel without a group follows every edition).
 */
export const channels = pgTable('channels', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind').$type<ChannelKind>().notNull(),
  /** The webhook URL, sealed with the signing secret's key. */
  urlSealed: text('url_sealed').notNull(),
  /** Host (and port) of the URL, shown where the sealed URL cannot be: `qyapi.weixin.qq.com`. */
  urlHost: text('url_host').notNull(),
  /** The platform's signing secret (Feishu, DingTalk), sealed; null when the robot does not sign. */
  secretSealed: text('secret_sealed'),
  options: jsonb('options').$type<ChannelOptions>().notNull().default({}),
  group: text('group'),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * One row per edition × channel: the same states, leases and "uncertain" rule as `delivery_log`. An edition
 * that needs several messages (split to stay under the platform's size limit) records how many of its
 * `parts` went out in `parts_sent`, so a worker that takes the row over sends only the rest; a part whose
 * request was in flight when its worker died makes the row `uncertain`.
 */
export const channelLog = pgTable(
  'channel_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    editionId: integer('edition_id')
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    channelId: integer('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    /** The channel's name when the row was queued (kept if the channel is renamed). */
    channelName: text('channel_name').notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    parts: integer('parts').notNull().default(0),
    partsSent: integer('parts_sent').notNull().default(0),
    /**
     * The request bodies of the parts as rendered for the first part that went out: the parts left are sent
     * from here, so that a re-rendered edition (edited in review, another `maxItems`) never sends a tail that
     * does not follow the head the chat already has. Null until the first part is started.
     */
    rendered: jsonb('rendered').$type<{ body: unknown; part: number; parts: number }[]>(),
    /** The platform's reply to the last request (its own code and message), trimmed. */
    lastReply: text('last_reply'),
    /** HTTP status of the last reply, null for a network failure. */
    replyCode: integer('reply_code'),
    error: text('error'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    resends: integer('resends').notNull().default(0),
    history: jsonb('history').$type<DeliveryAttempt[]>().notNull().default([]),
    queuedAt: ts('queued_at').notNull().defaultNow(),
    sendingAt: ts('sending_at'),
    sentAt: ts('sent_at'),
    nextAttemptAt: ts('next_attempt_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('channel_log_edition_channel_uq').on(t.editionId, t.channelId),
    index('channel_log_edition_status_idx').on(t.editionId, t.status),
    index('channel_log_channel_idx').on(t.channelId, t.id),
  ],
);

/** `positive` / `negative` / `neutral`, or null for any. */
export type AlertSentiment = 'positive' | 'neutral' | 'negative';

/**
 * An intraday watch-list rule: a story matches when it names one of the tickers, companies or keywords (any,
 * when all three are empty the rule matches on importance and sentiment alone), reaches `min_importance`
 * and has the rule's sentiment. Matches are pushed to `channel_ids` and, by mail, to `mail_groups`
 * recipients (`['*']`: every active recipient). Nothing is pushed in the quiet hours (local time of `TZ`,
 * `HH:MM`; a window may wrap midnight) or past `daily_cap` alerts in a local day.
 */
export const alertRules = pgTable('alert_rules', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  tickers: jsonb('tickers').$type<string[]>().notNull().default([]),
  companies: jsonb('companies').$type<string[]>().notNull().default([]),
  keywords: jsonb('keywords').$type<string[]>().notNull().default([]),
  minImportance: integer('min_importance').notNull().default(0),
  sentiment: text('sentiment').$type<AlertSentiment>(),
  channelIds: jsonb('channel_ids').$type<number[]>().notNull().default([]),
  mailGroups: jsonb('mail_groups').$type<string[]>().notNull().default([]),
  quietFrom: text('quiet_from'),
  quietTo: text('quiet_to'),
  dailyCap: integer('daily_cap').notNull().default(20),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * One row per rule × story, inserted before anything is pushed (`ON CONFLICT DO NOTHING`: a story fires a
 * rule at most once, across re-runs and workers). `status` follows the pushes: `queued` → `sending` →
 * `sent` | `failed` | `uncertain`, or `suppressed` (quiet hours, daily cap) — a suppressed story is not
 * pushed later. `targets` keeps each channel's and mail's own outcome.
 */
export const alertLog = pgTable(
  'alert_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ruleId: integer('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    storyId: integer('story_id')
      .notNull()
      .references(() => storyClusters.id, { onDelete: 'cascade' }),
    /** The local day (`TZ`) the alert counts against for the daily cap. */
    day: text('day').notNull(),
    status: text('status').notNull().default('queued'),
    reason: text('reason'),
    targets: jsonb('targets')
      .$type<{ target: string; status: string; error: string | null; at: string }[]>()
      .notNull()
      .default([]),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('alert_log_rule_story_uq').on(t.ruleId, t.storyId),
    index('alert_log_rule_day_idx').on(t.ruleId, t.day),
    index('alert_log_story_idx').on(t.storyId),
    index('alert_log_pending_idx')
      .on(t.id)
      .where(sql`status in ('queued', 'sending')`),
  ],
);

/**
 * Alert runs that did not start because another was live: when, which run held them off, and who fired
 * (the process, null for `finrep alerts run` queuing it; the queue job). Kept to the newest
 * `ALERT_RUN_SKIPS_KEPT` rows by the insert itself.
 */
export const alertRunSkips = pgTable(
  'alert_run_skips',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    /** The live run that held this one off. */
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    worker: text('worker'),
    jobId: text('job_id'),
  },
  (t) => [index('alert_run_skips_run_idx').on(t.runId)],
);
