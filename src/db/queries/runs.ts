import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { runStages, runs } from '../schema/index.ts';

/** Starts a run record for an edition. */
export async function startRun(db: Db, editionId: number, trigger: string): Promise<number> {
  const [row] = await db.insert(runs).values({ editionId, trigger, status: 'running' }).returning({ id: runs.id });
  return row!.id;
}

export async function finishRun(db: Db, id: number, status: 'ok' | 'partial' | 'failed', summary: Record<string, unknown>, error: string | null): Promise<void> {
  await db.update(runs).set({ status, summary, error, finishedAt: new Date() }).where(eq(runs.id, id));
}

/** Records one stage of a run (start, then its end with counts or error). */
export async function startStage(db: Db, runId: number, stage: string): Promise<number> {
  const [row] = await db.insert(runStages).values({ runId, stage, status: 'running' }).returning({ id: runStages.id });
  return row!.id;
}

export async function finishStage(db: Db, id: number, status: 'ok' | 'failed', durationMs: number, counts: Record<string, unknown>, error: string | null): Promise<void> {
  await db.update(runStages).set({ status, durationMs, counts, error, finishedAt: new Date() }).where(eq(runStages.id, id));
}
