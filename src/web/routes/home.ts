import { createElement } from 'react';
import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';
import { HomePage } from '../views/pages.tsx';

/** `GET /`: the start page (a signed-in user; API tokens get JSON). */
export const home: WebRoute = (app) => {
  app.get('/', async (req, reply) => {
    if (req.principal?.kind !== 'session') return { name: 'finrep', api: '/api/v1', docs: '/api/docs/json' };
    return sendPage(reply, createElement(HomePage, { ctx: pageContext(req, reply) }));
  });
};
