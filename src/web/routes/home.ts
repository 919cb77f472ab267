import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';

/** `GET /`: the start page (a signed-in user; API tokens get JSON). */
export const home: WebRoute = (app) => {
  app.get('/', async (req, reply) => {
    if (req.principal?.kind !== 'session') return { name: 'finrep', api: '/api/v1', docs: '/api/docs/json' };
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) => h((await import('../views/pages.tsx')).HomePage, { ctx }));
  });
};
