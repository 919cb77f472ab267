import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * People who sign in to the web admin: argon2id hashes, a role, lockout after failed logins, an optional TOTP
 * second factor (its secret encrypted, never shown again) and a session version that revokes every session
 * (JWT) issued before it changed (logout, password change, disable).
 */
export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  username: text('username').notNull().unique(),
  /** The sign-in name, lower-cased. */
  email: text('email').unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role').$type<'admin' | 'viewer'>().notNull().default('viewer'),
  disabled: boolean('disabled').notNull().default(false),
  sessionVersion: integer('session_version').notNull().default(1),
  /** AES-256-GCM ciphertext of the base32 TOTP secret (src/web/auth/secret-box.ts). */
  totpSecret: text('totp_secret'),
  totpEnabledAt: ts('totp_enabled_at'),
  /** The RFC 6238 time step of the last code accepted: a code of that step or an earlier one is refused (no replay). */
  totpLastStep: integer('totp_last_step'),
  failedLogins: integer('failed_logins').notNull().default(0),
  lockedUntil: ts('locked_until'),
  lastLoginAt: ts('last_login_at'),
  passwordChangedAt: ts('password_changed_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Bearer tokens for the JSON API: only the SHA-256 of the token is stored; revoked tokens stay for the record. */
export const apiTokens = pgTable('api_tokens', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').$type<'admin' | 'viewer'>().notNull().default('viewer'),
  /** Hex SHA-256 of the whole token. */
  tokenHash: text('token_hash').notNull().unique(),
  /** The token's first characters, to tell tokens apart in listings. */
  prefix: text('prefix').notNull(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastUsedAt: ts('last_used_at'),
  expiresAt: ts('expires_at'),
  revokedAt: ts('revoked_at'),
});

/** Runtime overrides set in the admin (系统设置) and the watch list. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by'),
});

/** Who changed what, when. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);

/**
 * Trend samples for /admin/status, one row per metric per 30 s slot (`at` is the slot's start): the unique
 * index makes a slot's sample single however many web instances sample (src/ops/status-sampler.ts).
 */
export const statusSamples = pgTable(
  'status_samples',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    metric: text('metric').notNull(),
    value: doublePrecision('value').notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  },
  (t) => [uniqueIndex('status_samples_metric_at_key').on(t.metric, t.at), index('status_samples_at_idx').on(t.at)],
);
