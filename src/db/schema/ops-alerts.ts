import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** What an operational alert is about (src/ops/alerts.ts). */
export type OpsAlertKind = 'edition-late' | 'source-failing' | 'llm-budget';

/** One target's outcome of a push (a channel or a mail address), as in `alert_log.targets`. */
export interface OpsAlertTarget {
  target: string;
  status: string;
  error: string | null;
  at: string;
}

/**
 * One row per operational incident (an edition late, a source failing, the LLM budget near its cap), keyed
 * by what it is about (`edition-late:2026-12-05`, `source-failing:7:<last success>`,
 * `llm-budget:day:2026-12-05`): the row is inserted before anything is pushed (`ON CONFLICT DO NOTHING`), so
 * an incident is pushed once across checks and processes. `status` follows the opening push like
 * `alert_log.status` (`queued` → `sending` → `sent` | `failed` | `uncertain`); `resolve_status` the same
 * for the one "resolved" message, claimed by setting `resolved_at` on a row where it is null.
 */
export const opsAlertLog = pgTable(
  'ops_alert_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull().unique(),
    kind: text('kind').$type<OpsAlertKind>().notNull(),
    /** `critical` or `warning`. */
    severity: text('severity').notNull(),
    /** What it is about, for a person: the edition's date, the source's name, `day 2026-12-05`. */
    subject: text('subject').notNull(),
    /** The opening message's text (plain; third-party text included as it was). */
    message: text('message').notNull(),
    /** What the check needs to tell when it clears (source id, edition date, period). */
    detail: jsonb('detail').$type<Record<string, string | number | null>>().notNull().default({}),
    status: text('status').notNull().default('queued'),
    reason: text('reason'),
    targets: jsonb('targets').$type<OpsAlertTarget[]>().notNull().default([]),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    openedAt: ts('opened_at').notNull().defaultNow(),
    /** When the check found the condition cleared (and claimed the resolved message); null while open. */
    resolvedAt: ts('resolved_at'),
    resolveMessage: text('resolve_message'),
    resolveStatus: text('resolve_status'),
    resolveTargets: jsonb('resolve_targets').$type<OpsAlertTarget[]>().notNull().default([]),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('ops_alert_log_open_idx')
      .on(t.id)
      .where(sql`resolved_at is null`),
    index('ops_alert_log_opened_idx').on(t.openedAt),
  ],
);
