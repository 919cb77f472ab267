import { bigint, index, integer, numeric, pgTable, primaryKey, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { editions } from './editions.ts';

/**
 * How many `delivery_log` rows each edition has in each status, kept exact by a statement trigger on
 * `delivery_log` (migration 0011): the console's dashboard and reports list read 30 editions' counts
 * without counting 300,000 rows. Rows of 0 may stay behind.
 */
export const deliveryCounts = pgTable(
  'delivery_counts',
  {
    editionId: integer('edition_id')
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    status: text('status').notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.editionId, t.status] })],
);

/**
 * The LLM ledger (`llm_usage`, append-only) summed per quarter hour, provider and edition, kept by an insert
 * trigger (migration 0011): /admin/usage groups a few thousand of these instead of every call of its
 * period. A quarter hour divides every time zone's offset, so a day in any zone is whole buckets.
 */
export const llmUsageRollup = pgTable(
  'llm_usage_rollup',
  {
    bucket: timestamp('bucket', { withTimezone: true, mode: 'date' }).notNull(),
    provider: text('provider').notNull(),
    editionId: integer('edition_id'),
    calls: integer('calls').notNull().default(0),
    promptTokens: bigint('prompt_tokens', { mode: 'number' }).notNull().default(0),
    cachedTokens: bigint('cached_tokens', { mode: 'number' }).notNull().default(0),
    completionTokens: bigint('completion_tokens', { mode: 'number' }).notNull().default(0),
    cost: numeric('cost', { precision: 18, scale: 6 }).notNull().default('0'),
  },
  (t) => [
    unique('llm_usage_rollup_key').on(t.bucket, t.provider, t.editionId).nullsNotDistinct(),
    index('llm_usage_rollup_edition_idx').on(t.editionId),
  ],
);
