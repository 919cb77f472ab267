import type { FastifyInstance } from 'fastify';
import { metrics } from './metrics.ts';

/**
 * Times every answer of the web server by its route pattern (`/api/v1/sources/:id`, never the URL; a request
 * no route matched is `unmatched`), method and status: `finrep_http_request_duration_seconds`.
 * Installed on the root instance before the routes, so every route gets it.
 */
export function installHttpMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
}
