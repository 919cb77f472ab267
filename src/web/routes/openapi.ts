import type { WebRoute } from '../deps.ts';

/** `GET /api/docs/json`: the OpenAPI 3.1 document generated from the /api/v1 routes' schemas (signed in). */
export const openapi: WebRoute = (app) => {
  app.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger());
};
