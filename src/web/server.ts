import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { redisOptions } from '../config/redis-url.ts';
import { installHttpMetrics } from '../ops/metrics-http.ts';
import { installAuth, wantsPage } from './auth/index.ts';
import { cookieOptions } from './auth/session.ts';
import type { WebDeps, WebRoute } from './deps.ts';
import { pageContext, requestLang, sendPage } from './render.ts';
import { ROUTES } from './routes/index.ts';
import { lazyCompilers } from './schema-compilers.ts';
import { installOpenApi } from './openapi-document.ts';
import { installApiRateLimit } from './api-rate-limit.ts';

export type { WebDeps, WebRoute };

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
/** ECharts' browser build, served as /static/echarts.min.js to the pages with charts (static/charts.js). */
const ECHARTS_DIR = path.dirname(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'));
/** wordcloud2.js, served as /static/wordcloud2.js to the word-cloud page (static/wordcloud.js). */
const WORDCLOUD_DIR = path.dirname(createRequire(import.meta.url).resolve('wordcloud/src/wordcloud2.js'));

/** Request ids: the proxy's `x-request-id` when it looks like one, else a new UUID; echoed in the answer. */
function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
}

/**
 * Builds the web server from its dependencies (no globals): security headers with a CSP that allows no
 * inline script, cookies, forms, CSRF, rate limits (in Redis when REDIS_URL is set, so every web instance
 * shares them), the OpenAPI document, static files, the auth layer, and every route of `routes`.
 * Heavy modules (the browser, Excel, charts, the LLM SDK) are never imported here: routes load them lazily.
 * @example const app = await buildServer(deps); await app.listen({ host, port });
 */
export async function buildServer(deps: WebDeps, opts: { routes?: WebRoute[] } = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const https = config.report.publicBaseUrl?.startsWith('https:') ?? false;
  const app = Fastify({
    loggerInstance: deps.log.child(
      { component: 'web' },
      {
        serializers: {
          // The path only: query strings carry signed mail-link tokens, and headers carry cookies.
          req: (req: { method: string; url: string; ip?: string }) => ({
            method: req.method,
            path: req.url.split('?')[0],
            ip: req.ip,
          }),
          res: (res: { statusCode: number }) => ({ status: res.statusCode }),
        },
      },
    ) as FastifyBaseLogger,
    // A hop count is accepted by fastify (proxy-addr) though its types list only booleans, strings and lists.
    trustProxy: config.web.trustProxy as boolean | string[],
    requestIdHeader: 'x-request-id',
    genReqId: requestId,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    schemaController: { compilersFactory: lazyCompilers() },
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.decorate('finrepTimeZone', config.timeZone);

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'finrep_csrf',
    cookieOpts: cookieOptions(config, 86_400),
  });
  await app.register(rateLimit, { global: false, skipOnError: true, ...(await rateLimitStore(app, deps)) });
  installApiRateLimit(app, deps, config.web.apiRatePerMin);
  installOpenApi(app);

  installAuth(app, deps, { publicPrefixes: ['/static/'] });
  installHttpMetrics(app);
  app.addHook('onRequest', async (req, reply) => {
    req.lang = requestLang(req, reply);
  });
  await app.register(fastifyStatic, {
    root: [STATIC_DIR, ECHARTS_DIR, WORDCLOUD_DIR],
    // Of ECharts' and wordcloud2's folders only the one file each that the pages load (by name alone: a
    // refusal stops the search, so a root must not refuse the other's file before its own root is tried).
    allowedPath: (pathName, root) =>
      root === STATIC_DIR || pathName === '/echarts.min.js' || pathName === '/wordcloud2.js',
    prefix: '/static/',
    maxAge: '1h',
    index: false,
    list: false,
  });
  app.setNotFoundHandler((req, reply) => replyError(req, reply, 404, req.lang ? 'error.notFound' : null));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ status, code: err.code }, 'request refused');
    const key =
      err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET'
        ? 'error.csrf'
        : status === 403
          ? 'error.forbidden'
          : status === 404
            ? 'error.notFound'
            : status === 429
              ? 'error.tooMany'
              : status >= 500
                ? 'error.server'
                : null;
    return replyError(req, reply, status, key, status < 500 ? err.message : undefined);
  });

  for (const route of opts.routes ?? ROUTES) await app.register(async (scope) => route(scope, deps));
  return app;
}

type ErrorKey = 'error.notFound' | 'error.forbidden' | 'error.csrf' | 'error.tooMany' | 'error.server';

function replyError(req: FastifyRequest, reply: FastifyReply, status: number, key: ErrorKey | null, detail?: string) {
  const accept = req.headers.accept ?? '';
  if (key && !req.url.startsWith('/api/') && (wantsPage(req) || accept.includes('text/html'))) {
    const ctx = pageContext(req, reply);
    // A rate limit (sign-in, API) set Retry-After: a person at a form reads when to try again, in the page's language.
    const retry = Number(reply.getHeader('retry-after'));
    const message = ctx.t(key, { seconds: Number.isFinite(retry) && retry > 0 ? retry : 60 });
    return sendPage(
      reply,
      async (h) => h((await import('./views/pages.tsx')).ErrorPage, { ctx, status, message }),
      status,
    );
  }
  return reply.code(status).send({
    error: status === 429 ? 'too_many_requests' : key ? key.slice('error.'.length) : 'error',
    message: status >= 500 ? 'internal server error' : (detail ?? ''),
    request_id: req.id,
  });
}

/** @fastify/rate-limit's store: Redis when REDIS_URL is set (closed with the app), else process memory. */
async function rateLimitStore(app: FastifyInstance, deps: WebDeps): Promise<{ redis?: unknown; nameSpace?: string }> {
  if (!deps.config.redisUrl) return {};
  const { Redis } = await import('ioredis');
  const redis = new Redis(
    redisOptions(deps.config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false }),
  );
  redis.on('error', (err) => deps.log.debug({ err: err.message }, 'web: rate-limit redis error'));
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  // Without an offline queue a request that comes before the connection is ready would fail its count and,
  // with skipOnError, go through uncounted: the server starts counting once connected (or after the connect
  // timeout, when Redis is down — the web still serves, and says so in /healthz).
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, 2500);
    redis.once('ready', done);
    redis.once('error', done);
  });
  return { redis, nameSpace: 'finrep:web:rl:' };
}
