import { sourcesQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { safeNext } from '../../render.ts';
import { sourceId } from './page.ts';

/**
 * `POST /sources/:id/enable` and `/disable`: collect a source again (any backoff forgotten) or stop collecting
 * it, keeping its articles; back to the page it came from (`back`, a /sources path).
 */
export const sourcesToggle: WebRoute = (app, deps) => {
  for (const enabled of [true, false]) {
    const verb = enabled ? 'enable' : 'disable';
    app.post(`/sources/:id/${verb}`, { config: { auth: 'admin' } }, async (req, reply) => {
      const id = sourceId(req.params);
      const row = id ? await sourcesQ.getSource(deps.db, id) : null;
      if (!row) return reply.callNotFound();
      await sourcesQ.setSourceEnabled(deps.db, row.id, enabled);
      await auditWeb(req, deps, `source.${verb}`, `source:${row.id}`, {
        before: { enabled: row.enabled, next_attempt_at: row.nextAttemptAt },
        after: { enabled },
      });
      const back = safeNext((req.body as { back?: unknown } | undefined)?.back);
      const to = back.startsWith('/sources') ? back : `/sources/${row.id}`;
      return reply.redirect(to === `/sources/${row.id}` ? `${to}?saved=${verb}d` : to, 303);
    });
  }
};
