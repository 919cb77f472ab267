import { and, asc, desc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { sourceFetches, sources } from '../schema/index.ts';
import type { SourceKind, WebRules } from '../../domain.ts';

export type SourceRow = typeof sources.$inferSelect;

/** A source to create or update by its stable key (seeds, imports). */
export interface SourceSeed {
  key: string;
  name: string;
  kind: SourceKind;
  url: string;
  rules: WebRules | null;
  weight: number;
  timezone: string | null;
  allowPrivate?: boolean;
  headers?: Record<string, string>;
}

/** Inserts or updates sources by key; returns how many were new. */
export async function upsertSources(db: Db, seeds: SourceSeed[]): Promise<number> {
  let created = 0;
  for (const s of seeds) {
    const values = {
      key: s.key,
      name: s.name,
      kind: s.kind,
      url: s.url,
      rules: s.rules,
      weight: s.weight,
      timezone: s.timezone,
      allowPrivate: s.allowPrivate ?? false,
      headers: s.headers ?? {},
    };
    const [row] = await db
      .insert(sources)
      .values(values)
      .onConflictDoUpdate({
        target: sources.key,
        set: {
          name: values.name,
          kind: values.kind,
          url: values.url,
          rules: values.rules,
          allowPrivate: values.allowPrivate,
          headers: values.headers,
          updatedAt: new Date(),
        },
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    if (row?.inserted) created++;
  }
  return created;
}

/** How many sources exist. */
export async function countSources(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(sources);
  return row?.n ?? 0;
}

/** Enabled sources due for collection (no backoff pending), in id order. */
export async function listDueSources(db: Db, now: Date): Promise<SourceRow[]> {
  return db
    .select()
    .from(sources)
    .where(and(eq(sources.enabled, true), or(isNull(sources.nextAttemptAt), lte(sources.nextAttemptAt, now))))
    .orderBy(asc(sources.id));
}

/** Every source, for listings. */
export async function listSources(db: Db): Promise<SourceRow[]> {
  return db.select().from(sources).orderBy(asc(sources.id));
}

/** Items of the source's latest successful fetch that found any, or 0 (it never gave items). */
export async function lastItemCount(db: Db, sourceId: number): Promise<number> {
  const [row] = await db
    .select({ items: sourceFetches.items })
    .from(sourceFetches)
    .where(and(eq(sourceFetches.sourceId, sourceId), eq(sourceFetches.status, 'ok'), gt(sourceFetches.items, 0)))
    .orderBy(desc(sourceFetches.startedAt))
    .limit(1);
  return row?.items ?? 0;
}

/** The outcome of one fetch, recorded on the source (health) and in `source_fetches` (history). */
export interface FetchOutcome {
  sourceId: number;
  runId: number | null;
  startedAt: Date;
  durationMs: number;
  status: 'ok' | 'not_modified' | 'failed';
  httpStatus: number | null;
  bytes: number;
  items: number;
  newItems: number;
  /** Why it failed; with a success, the warning an operator should read (items capped, time budget spent), or null. */
  error: string | null;
  etag: string | null;
  lastModified: string | null;
  /** The server's Retry-After with a failure (429/503): the next attempt waits at least this long (capped at 24 h). */
  retryAfterMs?: number;
}

const MAX_BACKOFF_MS = 24 * 3600_000;

/** Backoff after consecutive failures: 5 min doubling, capped at 24 h. */
export function backoffMs(consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return 0;
  return Math.min(5 * 60_000 * 2 ** (consecutiveFailures - 1), MAX_BACKOFF_MS);
}

/**
 * When a failed source is tried next: after its backoff, and never before the server's Retry-After (both
 * capped at 24 h).
 */
export function nextAttemptAfterFailure(end: Date, consecutiveFailures: number, retryAfterMs?: number): Date {
  const asked = Math.min(Math.max(0, retryAfterMs ?? 0), MAX_BACKOFF_MS);
  return new Date(end.getTime() + Math.max(backoffMs(consecutiveFailures), asked));
}

/**
 * Records a fetch: the history row and the source's health, atomically. A success clears the failure count
 * and leaves its warning (or null) as the source's `last_error`. A success is one statement (the
 * history insert rides along as a data-modifying CTE), which matters on PGlite where every statement and
 * transaction costs; a failure reads the failure count back to compute the backoff.
 */
export async function recordFetch(db: Db, o: FetchOutcome): Promise<void> {
  const history = {
    sourceId: o.sourceId,
    runId: o.runId,
    startedAt: o.startedAt,
    status: o.status,
    httpStatus: o.httpStatus,
    durationMs: o.durationMs,
    bytes: o.bytes,
    items: o.items,
    newItems: o.newItems,
    error: o.error,
  };
  const end = new Date(o.startedAt.getTime() + o.durationMs);
  if (o.status !== 'failed') {
    const fetchRow = db
      .$with('fetch_row')
      .as(db.insert(sourceFetches).values(history).returning({ id: sourceFetches.id }));
    await db
      .with(fetchRow)
      .update(sources)
      .set({
        consecutiveFailures: 0,
        lastError: o.error,
        lastFetchAt: end,
        lastSuccessAt: end,
        nextAttemptAt: null,
        updatedAt: end,
        ...(o.status === 'ok' ? { etag: o.etag, lastModified: o.lastModified } : {}),
      })
      .where(eq(sources.id, o.sourceId));
    return;
  }
  await db.transaction(async (tx) => {
    await tx.insert(sourceFetches).values(history);
    const [row] = await tx
      .update(sources)
      .set({
        consecutiveFailures: sql`${sources.consecutiveFailures} + 1`,
        lastError: o.error,
        lastFetchAt: end,
        updatedAt: end,
      })
      .where(eq(sources.id, o.sourceId))
      .returning({ failures: sources.consecutiveFailures });
    const next = nextAttemptAfterFailure(end, row?.failures ?? 1, o.retryAfterMs);
    await tx.update(sources).set({ nextAttemptAt: next }).where(eq(sources.id, o.sourceId));
  });
}
