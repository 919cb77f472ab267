import type { WebRoute } from '../../deps.ts';
import { blankForm } from './form.ts';
import { sendSourcePage } from './page.ts';

/** `GET /sources/new`: the form for a new source (`?kind=web` starts with that kind). */
export const sourcesNew: WebRoute = (app) => {
  app.get('/sources/new', { config: { auth: 'admin' } }, async (req, reply) => {
    const kind = (req.query as { kind?: string } | undefined)?.kind;
    return sendSourcePage(req, reply, null, { form: blankForm(kind === 'web' || kind === 'dynamic' ? kind : 'rss') });
  });
};
