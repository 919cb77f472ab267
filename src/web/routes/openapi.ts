import type { WebRoute } from '../deps.ts';

/**
 * `GET /api/docs/json`: the OpenAPI 3.1 document generated from the /api/v1 routes' schemas (signed in);
 * `GET /api/docs` (api-docs.ts) shows it as a page.
 */
export const openapi: WebRoute = (app) => {
  app.get('/api/docs/json', { schema: { hide: true } }, async () => app.openApiDocument());
};
