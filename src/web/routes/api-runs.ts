import { z } from 'zod';
import { editionsQ, runsQ } from '../../db/queries/index.ts';
import type { RunRow } from '../../db/queries/runs.ts';
import { isIsoDate } from '../../lib/time.ts';
import { auditWeb } from '../auth/sign-in.ts';
import { stageResult, withoutServerPaths } from '../views/dashboard-format.ts';
import type { WebDeps, WebRoute } from '../deps.ts';
import { apiScope, ERROR_REPLY, idParams, jsonSchema, notFound, parseOr400 } from './api-common.ts';

const runJson = (r: RunRow) => ({
  id: r.id,
  edition_id: r.editionId,
  trigger: r.trigger,
  status: r.status,
  started_at: r.startedAt,
  finished_at: r.finishedAt,
  error: r.error && withoutServerPaths(r.error),
  job_id: r.jobId,
  worker: r.worker,
  // The summary names the report's files on the server (the CLI prints them there): here by name alone.
  summary:
    r.summary &&
    (JSON.parse(JSON.stringify(r.summary), (_k, v: unknown) =>
      typeof v === 'string' ? withoutServerPaths(v) : v,
    ) as Record<string, unknown>),
});

const startBody = z.strictObject({
  date: z
    .string()
    .refine(isIsoDate, { error: 'expected YYYY-MM-DD' })
    .optional()
    .describe('edition date (default: today in TZ)'),
  dry_run: z.boolean().default(false).describe('compose everything without sending'),
  groups: z.array(z.string().trim().min(1)).min(1).optional().describe('send only to these recipient groups'),
});
const eventsQuery = z.object({ after: z.coerce.number().int().min(0).default(0) });
const OBJ = { type: 'object', additionalProperties: true };
const tags = ['runs'];

/**
 * Queues an edition for the workers as `finrep run` does with REDIS_URL, without waiting for it: the run's
 * record is written first, so its id can be followed at once (`GET /api/v1/runs/:id/events`).
 */
export async function queueEdition(
  deps: WebDeps,
  job: { date: string; dryRun: boolean; groups: string[] | null; trigger: string },
) {
  const [{ BullQueue, redisConnection }, { windowOf }, { jobIds }] = await Promise.all([
    import('../../jobs/bullmq.ts'),
    import('../../pipeline/run.ts'),
    import('../../pipeline/queue.ts'),
  ]);
  const connection = redisConnection(deps.config.redisUrl!);
  const queue = new BullQueue(connection);
  try {
    await connection.ping();
    // Not beside a run of the same edition still running (the schedule's, a worker's, another start's).
    const window = windowOf(deps.config, job.date);
    const edition = await editionsQ.ensureEdition(deps.db, job.date, window.from, window.to);
    const since = new Date(Date.now() - runsQ.RUNNING_RUN_MAX_AGE_MS);
    const started = await runsQ.startRunUnlessRunning(deps.db, edition.id, job.trigger, since);
    if ('running' in started) return started;
    const { runId } = started;
    const id = jobIds.edition(job.date, runId);
    await queue.add('edition', [{ id, data: { ...job, runId } }]);
    return { runId, jobId: id };
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}

/**
 * `/api/v1/runs`: start an edition (queued for the workers, or on the embedded process's own queue), list
 * runs, one run with its stages, its events.
 */
export const apiRuns: WebRoute = (app, deps) => {
  apiScope(app);

  app.post(
    '/api/v1/runs',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'start an edition now (queued; answers at once with the run to follow)',
        body: jsonSchema(startBody),
        response: { 202: OBJ, 400: ERROR_REPLY, 409: ERROR_REPLY, 503: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const b = parseOr400(reply, startBody, req.body ?? {});
      if (!b) return reply;
      if (!deps.startEdition && !deps.config.redisUrl)
        return reply.code(503).send({
          error: 'unavailable',
          message: 'no job queue: set REDIS_URL and run `finrep worker` (or run the edition with `finrep run`)',
        });
      // The edition window's module (cron-parser) loads with the first run started, not at start-up.
      const date = b.date ?? (await import('../../pipeline/window.ts')).todayEdition(new Date(), deps.config.timeZone);
      const job = { date, dryRun: b.dry_run, groups: b.groups ?? null, trigger: 'api' };
      // In the embedded process, on its own queue; else on Redis for the workers.
      const started = deps.startEdition ? await deps.startEdition(job) : await queueEdition(deps, job);
      if ('running' in started)
        return reply
          .code(409)
          .header('location', `/api/v1/runs/${started.running}`)
          .send({
            error: 'conflict',
            message: `edition ${date} is already running (run ${started.running})`,
            run_id: started.running,
          });
      const { runId, jobId } = started;
      await auditWeb(req, deps, 'run.start', `run:${runId}`, { date, dry_run: b.dry_run, groups: b.groups ?? null });
      return reply
        .code(202)
        .header('location', `/api/v1/runs/${runId}`)
        .send({
          run_id: runId,
          job_id: jobId,
          edition: date,
          status: 'queued',
          events: `/api/v1/runs/${runId}/events`,
        });
    },
  );

  app.get(
    '/api/v1/runs',
    { schema: { tags, summary: 'the latest runs, newest first', response: { 200: { type: 'array', items: OBJ } } } },
    async () => (await runsQ.listRuns(deps.db)).map(runJson),
  );

  app.get(
    '/api/v1/runs/:id',
    {
      schema: {
        tags,
        summary: 'a run with its stages',
        params: jsonSchema(idParams),
        response: { 200: OBJ, 404: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, idParams, req.params);
      if (!p) return reply;
      const run = await runsQ.getRun(deps.db, p.id);
      if (!run) return notFound(reply, `run ${p.id}`);
      const stages = (await runsQ.listStages(deps.db, run.id)).map((s) => ({
        ...s,
        counts: s.counts && { ...s.counts, ...(s.counts.line ? { line: stageResult({ ...s, error: null }) } : {}) },
        error: s.error && withoutServerPaths(s.error),
      }));
      return { ...runJson(run), stages };
    },
  );

  app.get(
    '/api/v1/runs/:id/events',
    {
      schema: {
        tags,
        summary: "a run's events after `after` (poll with the last id seen)",
        params: jsonSchema(idParams),
        querystring: jsonSchema(eventsQuery),
        response: { 200: { type: 'array', items: OBJ }, 404: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, idParams, req.params);
      const q = p && parseOr400(reply, eventsQuery, req.query);
      if (!p || !q) return reply;
      if (!(await runsQ.getRun(deps.db, p.id))) return notFound(reply, `run ${p.id}`);
      return (await runsQ.listRunEvents(deps.db, p.id, q.after)).map((e) => ({
        id: e.id,
        at: e.at,
        stage: e.stage,
        kind: e.kind,
        message: withoutServerPaths(e.message),
        data: e.data,
      }));
    },
  );
};
