import { z } from 'zod';
import { getRun } from '../../../db/queries/runs.ts';
import type { WebRoute } from '../../deps.ts';
import { followRun, HEARTBEAT_MS } from './run-stream.ts';

/** Streams open at once in this process; one more is answered 503 (the page falls back to reloading). */
export const MAX_RUN_STREAMS = 32;

const params = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1),
});
const resume = z.coerce.number().int().min(0).catch(0);

/**
 * `GET /runs/:id/events`: the run live as Server-Sent Events (see run-stream.ts). Unbuffered behind nginx
 * (`X-Accel-Buffering: no`), a heartbeat comment every 15 s, closed when the client goes or the app closes.
 */
export const runEvents: WebRoute = (app, deps) => {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of open) close();
  });
  app.get('/runs/:id/events', { config: { auth: 'viewer' } }, async (req, reply) => {
    const p = params.safeParse(req.params);
    if (!p.success || !(await getRun(deps.db, p.data.id))) return reply.code(404).send({ error: 'not_found' });
    if (open.size >= MAX_RUN_STREAMS)
      return reply.code(503).header('retry-after', '10').send({ error: 'busy', message: 'too many live streams' });
    const after = resume.parse(req.headers['last-event-id'] ?? (req.query as { after?: string }).after ?? 0);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    let gone = false;
    const close = () => {
      gone = true;
      res.end();
    };
    open.add(close);
    res.on('close', () => (gone = true));
    const heartbeat = setInterval(() => !gone && res.write(': ping\n\n'), HEARTBEAT_MS);
    res.write('retry: 3000\n\n');
    try {
      const o = { db: deps.db, runId: p.data.id, after, timeZone: deps.config.timeZone, lang: req.lang };
      await followRun(
        o,
        (chunk) => !gone && res.write(chunk),
        () => gone,
      );
    } catch (err) {
      req.log.warn({ run_id: p.data.id, err }, 'run stream failed');
    } finally {
      clearInterval(heartbeat);
      open.delete(close);
      if (!res.writableEnded) res.end();
    }
  });
};
