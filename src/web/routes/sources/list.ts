import { z } from 'zod';
import { listSourcesPage, sourceCounts } from '../../../db/queries/console-sources.ts';
import { backoffMs } from '../../../db/queries/sources.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

const PAGE_SIZE = 50;
const query = z.object({
  kind: z.enum(['rss', 'web', 'dynamic', '']).catch('').default(''),
  enabled: z.enum(['yes', 'no', '']).catch('').default(''),
  health: z.enum(['failing', 'ok', 'never', '']).catch('').default(''),
  q: z.string().trim().max(200).catch('').default(''),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  done: z.enum(['deleted', 'imported']).optional().catch(undefined),
  created: z.coerce.number().int().min(0).catch(0).default(0),
  updated: z.coerce.number().int().min(0).catch(0).default(0),
  kept: z.coerce.number().int().min(0).catch(0).default(0),
});

/** `GET /sources`: every source with its health and the articles of its last 7 days, filtered and paged. */
export const sourcesList: WebRoute = (app, deps) => {
  app.get('/sources', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = query.parse(req.query ?? {});
    const now = new Date();
    const filter = {
      ...(q.kind && { kind: q.kind }),
      ...(q.enabled && { enabled: q.enabled === 'yes' }),
      ...(q.health && { health: q.health }),
      ...(q.q && { q: q.q }),
    };
    const since = new Date(now.getTime() - 7 * 86_400_000);
    const [{ rows, total }, counts] = await Promise.all([
      listSourcesPage(deps.db, filter, { limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE, since }),
      sourceCounts(deps.db, now),
    ]);
    const ctx = pageContext(req, reply);
    const done = q.done === 'imported' && q.kept > 0 ? 'importedKept' : q.done;
    const notice = done
      ? ctx.t(`sources.done.${done}`, { created: q.created, updated: q.updated, kept: q.kept })
      : null;
    return sendPage(reply, async (h) =>
      h((await import('../../views/sources.tsx')).SourcesPage, {
        ctx,
        rows,
        total,
        page: q.page,
        pageSize: PAGE_SIZE,
        filter: { kind: q.kind, enabled: q.enabled, health: q.health, q: q.q },
        counts,
        now,
        backoff: { firstMin: backoffMs(1) / 60_000, capHours: backoffMs(1000) / 3_600_000 },
        notice,
      }),
    );
  });
};
