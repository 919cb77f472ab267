/**
 * The JSON API's rate limit: `API_RATE_LIMIT_PER_MIN` requests a minute to `/api/v1/…` per caller — per API
 * token, per signed-in user for the console's own calls, per client address for everyone else (no
 * credentials, or ones that do not authenticate, so made-up tokens do not buy fresh allowances). It counts in
 * the same @fastify/rate-limit store as the sign-in limit (Redis when REDIS_URL is set, so every web instance
 * shares one count; process memory otherwise). Over the limit: 429 with `Retry-After` and the
 * `x-ratelimit-*` headers, which every answer under the limit carries too. Console pages are not counted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from './auth/index.ts';
import type { AuthDeps } from './auth/index.ts';

/** The answer's headers, for the OpenAPI document and the tests. */
export const RATE_LIMIT_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'];

/** Whether a request is counted by the API's limit (the JSON API; its documentation pages are not). */
export function isApiRequest(url: string): boolean {
  return url === '/api/v1' || url.startsWith('/api/v1/') || url.startsWith('/api/v1?');
}

/** Who a request is counted against: its API token, its signed-in user, else its address. */
export async function apiCaller(req: FastifyRequest, deps: AuthDeps): Promise<string> {
  const p = await authenticate(req, deps);
  if (p?.kind === 'token') return `api:token:${p.token.id}`;
  if (p?.kind === 'session') return `api:user:${p.user.id}`;
  return `api:ip:${req.ip}`;
}

/**
 * Adds the limit to `app` (after @fastify/rate-limit is registered): one count per caller across every
 * /api/v1 route, not one per route. The caller is found once and kept on the request for the auth gate.
 * @example installApiRateLimit(app, deps, 300);
 */
export function installApiRateLimit(app: FastifyInstance, deps: AuthDeps, perMinute: number): void {
  const limit = app.rateLimit({
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => apiCaller(req, deps),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      code: 'FST_API_THROTTLED',
      error: 'too many requests',
      message: `over ${ctx.max} API requests a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });
  app.addHook('onRequest', async (req, reply) => {
    if (isApiRequest(req.url)) await limit.call(app, req, reply);
  });
}

/** The 429 every /api/v1 route may give, as the OpenAPI document lists it. */
export const THROTTLED_REPLY = {
  description: 'over API_RATE_LIMIT_PER_MIN requests this minute: retry after `Retry-After` seconds',
  headers: {
    'retry-after': { description: 'seconds until the count restarts', schema: { type: 'integer' } },
    'x-ratelimit-limit': { description: 'requests allowed a minute', schema: { type: 'integer' } },
    'x-ratelimit-remaining': { description: 'requests left this minute', schema: { type: 'integer' } },
    'x-ratelimit-reset': { description: 'seconds until the count restarts', schema: { type: 'integer' } },
  },
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
};

/** A route's schema with the 429 answer added to its documented responses. */
export function withThrottledReply<T extends { response?: unknown } | undefined>(schema: T): T {
  if (!schema) return schema;
  return { ...schema, response: { ...(schema.response as object | undefined), 429: THROTTLED_REPLY } };
}
