import { bigserial, boolean, index, integer, jsonb, pgTable, real, serial, text, timestamp } from 'drizzle-orm/pg-core';
import type { SourceKind, WebRules } from '../../domain.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Configured sources with their health (last success, failures, backoff). */
export const sources = pgTable('sources', {
  id: serial('id').primaryKey(),
  /** Stable identifier for seeded sources (demo world, imports); null for ones created in the admin. */
  key: text('key').unique(),
  name: text('name').notNull(),
  kind: text('kind').$type<SourceKind>().notNull(),
  url: text('url').notNull(),
  rules: jsonb('rules').$type<WebRules | null>(),
  weight: real('weight').notNull().default(1),
  timezone: text('timezone'),
  enabled: boolean('enabled').notNull().default(true),
  allowPrivate: boolean('allow_private').notNull().default(false),
  headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
  etag: text('etag'),
  lastModified: text('last_modified'),
  lastFetchAt: ts('last_fetch_at'),
  lastSuccessAt: ts('last_success_at'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  lastError: text('last_error'),
  nextAttemptAt: ts('next_attempt_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** One row per fetch of a source: the health history an operator reads. */
export const sourceFetches = pgTable(
  'source_fetches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sourceId: integer('source_id')
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    runId: integer('run_id'),
    startedAt: ts('started_at').notNull(),
    status: text('status').$type<'ok' | 'not_modified' | 'failed' | 'skipped'>().notNull(),
    httpStatus: integer('http_status'),
    durationMs: integer('duration_ms').notNull(),
    bytes: integer('bytes').notNull().default(0),
    items: integer('items').notNull().default(0),
    newItems: integer('new_items').notNull().default(0),
    error: text('error'),
  },
  (t) => [index('source_fetches_source_idx').on(t.sourceId, t.startedAt)],
);
