/** The statements of the health checks. */
import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';

/** `select 1` through the pool: the database answers queries (used by `/healthz`). */
export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
