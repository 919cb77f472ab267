import { and, asc, desc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { articles, sourceFetches, sources } from '../schema/index.ts';
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

/** The fields of a source that a definition (CLI, file, API) sets. */
export interface SourceFields {
  key: string;
  name: string;
  kind: SourceKind;
  url: string;
  rules: WebRules | null;
  weight: number;
  timezone: string | null;
  enabled: boolean;
  allowPrivate: boolean;
  headers: Record<string, string>;
}

export async function getSource(db: Db, id: number): Promise<SourceRow | null> {
  const [row] = await db.select().from(sources).where(eq(sources.id, id));
  return row ?? null;
}

export async function findSourceByKey(db: Db, key: string): Promise<SourceRow | null> {
  const [row] = await db.select().from(sources).where(eq(sources.key, key));
  return row ?? null;
}

/** A source by id (all digits) or key — how the CLI names one. */
export async function findSourceByRef(db: Db, ref: string): Promise<SourceRow | null> {
  if (/^\d+$/.test(ref)) return (await getSource(db, Number(ref))) ?? findSourceByKey(db, ref);
  return findSourceByKey(db, ref);
}

/** Sources of one kind with this URL, oldest first (an import matches a definition without key on them). */
export async function findSourcesByUrl(db: Db, kind: SourceKind, url: string): Promise<SourceRow[]> {
  return db
    .select()
    .from(sources)
    .where(and(eq(sources.kind, kind), eq(sources.url, url)))
    .orderBy(asc(sources.id));
}

export async function createSource(db: Db, f: SourceFields): Promise<SourceRow> {
  const [row] = await db.insert(sources).values(f).returning();
  return row!;
}

/**
 * Replaces a source's definition. A changed URL or kind forgets the conditional-GET validators and any
 * pending backoff (it is a different fetch now). Returns null for an unknown id.
 */
export async function updateSource(db: Db, id: number, f: SourceFields): Promise<SourceRow | null> {
  const before = await getSource(db, id);
  if (!before) return null;
  const moved = before.url !== f.url || before.kind !== f.kind;
  const [row] = await db
    .update(sources)
    .set({
      ...f,
      ...(moved && { etag: null, lastModified: null, nextAttemptAt: null, consecutiveFailures: 0 }),
      updatedAt: sql`now()`,
    })
    .where(eq(sources.id, id))
    .returning();
  return row ?? null;
}

/** Turns a source on or off; returns false for an unknown id. */
export async function setSourceEnabled(db: Db, id: number, enabled: boolean): Promise<boolean> {
  const res = await db
    .update(sources)
    .set({ enabled, ...(enabled && { nextAttemptAt: null }), updatedAt: sql`now()` })
    .where(eq(sources.id, id))
    .returning({ id: sources.id });
  return res.length === 1;
}

/** How many stored articles came from the source (deleting it deletes them, and their report lines). */
export async function countSourceArticles(db: Db, id: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(articles)
    .where(eq(articles.sourceId, id));
  return row?.n ?? 0;
}

/** Deletes a source with its fetch history and articles; returns false for an unknown id. */
export async function deleteSource(db: Db, id: number): Promise<boolean> {
  const res = await db.delete(sources).where(eq(sources.id, id)).returning({ id: sources.id });
  return res.length === 1;
}

/** What saving one definition did. */
export interface SavedSource {
  key: string;
  id: number | null;
  outcome: 'created' | 'updated' | 'unchanged';
  /** The fields the definition changed on an existing source (`name`, `rules` …). */
  changed: (keyof SourceFields)[];
  /**
   * The fields of an existing source the file does not carry (an OPML file holds feeds, not their rules,
   * weight or headers), kept as they were where the file's defaults would have replaced them.
   */
  kept: (keyof SourceFields)[];
}

/** JSON with object keys sorted: jsonb does not keep the order they were written in. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** A stored source's definition fields. */
const fieldsOf = (row: SourceRow): SourceFields => ({
  key: row.key ?? '',
  name: row.name,
  kind: row.kind,
  url: row.url,
  rules: row.rules ?? null,
  weight: row.weight,
  timezone: row.timezone,
  enabled: row.enabled,
  allowPrivate: row.allowPrivate,
  headers: row.headers ?? {},
});

const SOURCE_FIELDS = Object.keys(fieldsOf({} as SourceRow)) as (keyof SourceFields)[];

/** The fields in which `f` differs from the stored source. */
const differing = (row: SourceRow, f: SourceFields): (keyof SourceFields)[] => {
  const have = fieldsOf(row);
  return SOURCE_FIELDS.filter((k) =>
    // `weight` is a real (float4): compared at its precision
    k === 'weight' ? Math.abs(have.weight - f.weight) >= 1e-6 : canonical(have[k]) !== canonical(f[k]),
  );
};

/**
 * Applies definitions (an import) in one transaction: each matches an existing source by key — or, with
 * no key, by kind and URL, adopting that source's key or `fallbackKey` — and is created, updated or left
 * unchanged. `carries` names the fields the file holds (an OPML file: name, kind and URL): an existing
 * source keeps the others as they are, and the result says which it kept. With `dryRun` nothing is written;
 * the outcomes are what would happen.
 * @example saveSourceDefinitions(db, defs, { carries: ['name', 'kind', 'url'] }) // an OPML import
 */
export async function saveSourceDefinitions(
  db: Db,
  defs: (Omit<SourceFields, 'key'> & { key?: string; fallbackKey: string })[],
  opts: { dryRun?: boolean; carries?: readonly (keyof SourceFields)[] } = {},
): Promise<SavedSource[]> {
  const carries = opts.carries ?? SOURCE_FIELDS;
  const work = async (tx: Db): Promise<SavedSource[]> => {
    const out: SavedSource[] = [];
    for (const { fallbackKey, ...d } of defs) {
      const existing = d.key
        ? await findSourceByKey(tx, d.key)
        : ((await findSourcesByUrl(tx, d.kind, d.url))[0] ?? null);
      const given: SourceFields = { ...d, key: d.key ?? existing?.key ?? fallbackKey };
      if (!existing) {
        const row = opts.dryRun ? null : await createSource(tx, given);
        out.push({ key: given.key, id: row?.id ?? null, outcome: 'created', changed: [], kept: [] });
        continue;
      }
      const fields = { ...fieldsOf(existing) };
      for (const k of carries) Object.assign(fields, { [k]: given[k] });
      fields.key = given.key;
      const kept = differing(existing, given).filter((k) => !carries.includes(k) && k !== 'key');
      const changed = differing(existing, fields);
      if (changed.length > 0 && !opts.dryRun) await updateSource(tx, existing.id, fields);
      out.push({
        key: fields.key,
        id: existing.id,
        outcome: changed.length > 0 ? 'updated' : 'unchanged',
        changed,
        kept,
      });
    }
    return out;
  };
  return opts.dryRun ? work(db) : db.transaction((tx) => work(tx as unknown as Db));
}
