import { desc, eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { auditLog } from '../schema/index.ts';

export type AuditRow = typeof auditLog.$inferSelect;

/**
 * One audited event: who (`user:<email>`, `cli:<os user>`, `token:<name>`, `ip:<address>`), what
 * (`login.success`, `user.add`, …), on what, and the detail (before/after). Never a password, hash or secret.
 */
export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
}

export async function writeAudit(db: Db, e: AuditEntry): Promise<void> {
  await db
    .insert(auditLog)
    .values({ actor: e.actor, action: e.action, target: e.target ?? null, detail: e.detail ?? null });
}

/** The newest entries, optionally of one action. */
export async function listAudit(db: Db, opts: { action?: string; limit?: number } = {}): Promise<AuditRow[]> {
  const q = db.select().from(auditLog);
  const filtered = opts.action ? q.where(eq(auditLog.action, opts.action)) : q;
  return filtered.orderBy(desc(auditLog.id)).limit(opts.limit ?? 100);
}
