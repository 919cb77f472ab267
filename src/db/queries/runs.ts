import { and, asc, eq, gt, gte, inArray, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { runEvents, runStages, runs, sourceFetches, sources } from '../schema/index.ts';

export type RunRow = typeof runs.$inferSelect;
export type RunEventRow = typeof runEvents.$inferSelect;
export type RunEventKind = RunEventRow['kind'];

/** Starts a run record for an edition. */
export async function startRun(
  db: Db,
  editionId: number,
  trigger: string,
  extra: { jobId?: string | null; deadlineAt?: Date | null; worker?: string | null } = {},
): Promise<number> {
  const [row] = await db
    .insert(runs)
    .values({ editionId, trigger, status: 'running', ...extra })
    .returning({ id: runs.id });
  return row!.id;
}

export async function getRun(db: Db, id: number): Promise<RunRow | null> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row ?? null;
}

/** Marks a run as picked up (again) by a process: a worker taking over a job another one left. */
export async function touchRun(
  db: Db,
  id: number,
  patch: { worker: string; jobId?: string | null; deadlineAt?: Date | null },
): Promise<void> {
  await db
    .update(runs)
    .set({ ...patch, status: 'running', finishedAt: null, error: null })
    .where(eq(runs.id, id));
}

export async function finishRun(
  db: Db,
  id: number,
  status: 'ok' | 'partial' | 'failed',
  summary: Record<string, unknown>,
  error: string | null,
): Promise<void> {
  await db.update(runs).set({ status, summary, error, finishedAt: new Date() }).where(eq(runs.id, id));
}

/** Runs of an edition with a given trigger that did not fail (a scheduled edition runs once). */
export async function liveRunsOf(db: Db, editionId: number, triggers: readonly string[]): Promise<RunRow[]> {
  return db
    .select()
    .from(runs)
    .where(and(eq(runs.editionId, editionId), inArray(runs.trigger, [...triggers]), ne(runs.status, 'failed')))
    .orderBy(asc(runs.id));
}

/**
 * Records the start of one stage of a run; a stage started again (the run resumed by another worker) keeps
 * its row and starts over.
 */
export async function startStage(db: Db, runId: number, stage: string): Promise<number> {
  const [row] = await db
    .insert(runStages)
    .values({ runId, stage, status: 'running' })
    .onConflictDoUpdate({
      target: [runStages.runId, runStages.stage],
      set: { status: 'running', startedAt: new Date(), finishedAt: null, error: null },
    })
    .returning({ id: runStages.id });
  return row!.id;
}

export async function finishStage(
  db: Db,
  id: number,
  status: 'ok' | 'failed',
  durationMs: number,
  counts: Record<string, unknown>,
  error: string | null,
): Promise<void> {
  await db
    .update(runStages)
    .set({ status, durationMs, counts, error, finishedAt: new Date() })
    .where(eq(runStages.id, id));
}

export async function setStageProgress(
  db: Db,
  runId: number,
  stage: string,
  progress: { done: number; total: number; unit: string },
): Promise<void> {
  await db
    .update(runStages)
    .set({ progress })
    .where(and(eq(runStages.runId, runId), eq(runStages.stage, stage)));
}

export async function listStages(db: Db, runId: number) {
  return db.select().from(runStages).where(eq(runStages.runId, runId)).orderBy(asc(runStages.id));
}

export async function addRunEvent(
  db: Db,
  e: {
    runId: number;
    stage?: string | null;
    kind: RunEventKind;
    message: string;
    data?: Record<string, unknown> | null;
  },
): Promise<void> {
  await db
    .insert(runEvents)
    .values({ runId: e.runId, stage: e.stage ?? null, kind: e.kind, message: e.message, data: e.data ?? null });
}

/** A run's events after `afterId` (the admin's live view polls with the last id it has). */
export async function listRunEvents(db: Db, runId: number, afterId = 0): Promise<RunEventRow[]> {
  return db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.id, afterId)))
    .orderBy(asc(runEvents.id));
}

/** The collect stage of a run as recorded: one fetch per source (the last one, if a source was fetched twice). */
export async function runFetches(db: Db, runId: number) {
  const rows = await db
    .select({
      id: sources.id,
      name: sources.name,
      kind: sources.kind,
      fetchId: sourceFetches.id,
      status: sourceFetches.status,
      items: sourceFetches.items,
      newItems: sourceFetches.newItems,
      error: sourceFetches.error,
    })
    .from(sourceFetches)
    .innerJoin(sources, eq(sources.id, sourceFetches.sourceId))
    .where(eq(sourceFetches.runId, runId))
    .orderBy(asc(sourceFetches.id));
  const last = new Map<number, (typeof rows)[number]>();
  const totals = new Map<number, { items: number; newItems: number }>();
  for (const r of rows) {
    last.set(r.id, r);
    const t = totals.get(r.id) ?? { items: 0, newItems: 0 };
    totals.set(r.id, { items: t.items + r.items, newItems: t.newItems + r.newItems });
  }
  // New items add up over a source's fetches (a retried job stores only what the first attempt did not).
  return [...last.values()].map((r) => ({ ...r, newItems: totals.get(r.id)!.newItems }));
}

/** Whether a source already has a fetch recorded in this run (a collect job retried after its worker died). */
export async function hasRunFetch(db: Db, runId: number, sourceId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: sourceFetches.id })
    .from(sourceFetches)
    .where(and(eq(sourceFetches.runId, runId), eq(sourceFetches.sourceId, sourceId)))
    .limit(1);
  return row !== undefined;
}

/**
 * Starts the scheduled run of an edition unless one is live already (running or done). Check and insert
 * hold a transaction-scoped advisory lock on the edition, so two workers picking up a scheduled job and a
 * catch-up job at the same moment start one run between them. Null: the edition already has its run.
 */
export async function claimScheduledRun(
  db: Db,
  editionId: number,
  trigger: string,
  triggers: readonly string[],
  jobId: string | null,
): Promise<number | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727002, ${editionId})`);
    const since = new Date(Date.now() - RUNNING_RUN_MAX_AGE_MS);
    const live = await tx
      .select({ id: runs.id })
      .from(runs)
      .where(
        and(
          eq(runs.editionId, editionId),
          or(
            and(inArray(runs.trigger, [...triggers]), ne(runs.status, 'failed')),
            // A run started by hand (API, console, CLI) still running: the schedule does not start a second.
            and(eq(runs.status, 'running'), gte(runs.startedAt, since)),
          ),
        ),
      )
      .limit(1);
    if (live.length > 0) return null;
    const [row] = await tx
      .insert(runs)
      .values({ editionId, trigger, status: 'running', jobId })
      .returning({ id: runs.id });
    return row!.id;
  });
}

/**
 * A run still `running` this long after it started is a crash's leftover, not a live run: it no longer keeps
 * the schedule or a manual start from running its edition (an edition's run ends by its deadline, minutes
 * after the start).
 */
export const RUNNING_RUN_MAX_AGE_MS = 6 * 3600_000;

/**
 * Starts a run of an edition unless one is running already (started after `since`, any trigger): the
 * schedule's claim and a manual start take the same lock, so they never run one edition twice at once.
 */
export async function startRunUnlessRunning(
  db: Db,
  editionId: number,
  trigger: string,
  since: Date,
): Promise<{ runId: number } | { running: number }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727002, ${editionId})`);
    const [running] = await tx
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.editionId, editionId), eq(runs.status, 'running'), gte(runs.startedAt, since)))
      .orderBy(asc(runs.id))
      .limit(1);
    if (running) return { running: running.id };
    const [row] = await tx.insert(runs).values({ editionId, trigger, status: 'running' }).returning({ id: runs.id });
    return { runId: row!.id };
  });
}

/** The newest runs first (the API's run list). */
export async function listRuns(db: Db, limit = 50): Promise<RunRow[]> {
  return db
    .select()
    .from(runs)
    .orderBy(sql`${runs.id} desc`)
    .limit(limit);
}
