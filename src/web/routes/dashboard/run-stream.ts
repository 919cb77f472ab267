/**
 * A run followed as Server-Sent Events: `run_events` polled from the last id sent (each event carries its id,
 * so a reconnect resumes with Last-Event-ID), the stage rows whenever they change, and an `end` event once
 * the run has finished and its last events are out.
 */
import type { Db } from '../../../db/client.ts';
import { getRun, listRunEvents, listStages } from '../../../db/queries/runs.ts';
import { stateWord, translator } from '../../i18n/index.ts';
import { sayText } from '../../i18n/coded.ts';
import type { Lang } from '../../i18n/index.ts';
import {
  clock,
  eventMark,
  formatDuration,
  progressText,
  stageResult,
  withoutServerPaths,
} from '../../views/dashboard-format.ts';

/** How often the tables are read. @defaultValue 1000 */
export const POLL_MS = 1000;
/** A comment line this often keeps proxies from closing an idle stream. @defaultValue 15000 */
export const HEARTBEAT_MS = 15_000;
/** Ticks a finished run's stream waits for its closing event. @defaultValue 5 */
export const CLOSE_TICKS = 5;

/** One SSE message (`id` only on run events: the stage snapshots must not move the resume point). */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Writes the run's events after `after` and its stages with `write` until the run ends (then `end`) or
 * `stopped()` says the client has gone. Stage names and statuses come with their label in `lang` (the
 * page's), and no line carries a path on the server. A finished run ends the stream once its closing event (`run <status>`,
 * written just after the status) is out — or a failed one at the next tick, or any after {@link CLOSE_TICKS}.
 */
export async function followRun(
  o: { db: Db; runId: number; after: number; timeZone: string; lang?: Lang; pollMs?: number },
  write: (chunk: string) => void,
  stopped: () => boolean,
): Promise<void> {
  let last = o.after;
  let stagesSent = '';
  let finishedTicks = 0;
  let closing = '';
  const t = translator(o.lang ?? 'zh-CN');
  while (!stopped()) {
    for (const e of await listRunEvents(o.db, o.runId, last)) {
      last = e.id;
      if (e.stage === null && e.kind === 'info') closing = e.message;
      const stageLabel = e.stage && stateWord(t, 'stage', e.stage);
      const data = { id: e.id, time: clock(e.at, o.timeZone), stage: e.stage, stageLabel, kind: e.kind };
      const message = withoutServerPaths(sayText(t, e.data, e.message));
      write(sseMessage('run', { ...data, mark: eventMark(e.kind), message }, e.id));
    }
    const stages = (await listStages(o.db, o.runId)).map((s) => ({
      stage: s.stage,
      stageLabel: stateWord(t, 'stage', s.stage),
      status: s.status,
      statusLabel: stateWord(t, 'run', s.status),
      started: clock(s.startedAt, o.timeZone),
      duration: formatDuration(s.durationMs),
      progress: progressText(s),
      result: stageResult(s, t),
      failed: s.error !== null,
    }));
    const json = JSON.stringify(stages);
    if (json !== stagesSent) write(sseMessage('stages', stages));
    stagesSent = json;
    const run = await getRun(o.db, o.runId);
    if (!run || run.status !== 'running') {
      const closed = closing === `run ${run?.status}` || (run?.status === 'failed' && finishedTicks > 0);
      const longAgo = run?.finishedAt && Date.now() - run.finishedAt.getTime() > CLOSE_TICKS * (o.pollMs ?? POLL_MS);
      if (!run || closed || longAgo || finishedTicks++ >= CLOSE_TICKS) {
        const status = run?.status ?? 'gone';
        const error = run?.error ? withoutServerPaths(run.error) : null;
        write(sseMessage('end', { status, label: stateWord(t, 'run', status), error }));
        return;
      }
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? POLL_MS));
  }
}
