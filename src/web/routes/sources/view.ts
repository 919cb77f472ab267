import type { WebRoute } from '../../deps.ts';
import { pageContext } from '../../render.ts';
import { loadSource, sendSourcePage, sourceId } from './page.ts';

/** `GET /sources/:id`: a source's health, fetch history and form (read-only for a viewer). */
export const sourcesView: WebRoute = (app, deps) => {
  app.get('/sources/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const id = sourceId(req.params);
    const loaded = id ? await loadSource(deps, id) : null;
    if (!loaded) return reply.callNotFound();
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const t = pageContext(req, reply).t;
    const notice =
      q.saved === '1'
        ? t('ui.saved')
        : q.saved === 'enabled' || q.saved === 'disabled'
          ? t(`sources.now.${q.saved}`)
          : null;
    const error = q.error === 'articles' ? t('sources.deleteNeedsConfirm', { n: loaded.source.storedArticles }) : null;
    return sendSourcePage(req, reply, loaded, { notice, error });
  });
};
