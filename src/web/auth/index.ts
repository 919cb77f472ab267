/**
 * Who may call what, decided on the server for every route.
 *
 * **How a route declares its access** — in the route's `config` (nothing else to call):
 *
 * ```ts
 * app.get('/reports', { config: { auth: 'viewer' } }, handler);        // any signed-in user (the default for GET)
 * app.post('/sources', { config: { auth: 'admin' } }, handler);        // admins only (the default for POST/PUT/PATCH/DELETE)
 * app.post('/u/:token', { config: { auth: 'public', csrf: false } }, h); // no sign-in, no CSRF (RFC 8058 one-click)
 * ```
 *
 * - `auth` defaults to `'viewer'` for GET/HEAD and `'admin'` for every other method, so a route that forgets
 *   to say is closed, not open. `'public'` needs no credentials (login, /livez, signed mail links).
 * - Credentials are a session cookie (signed in through /login) or `Authorization: Bearer frp_…` (an
 *   `api_tokens` row, `finrep token create`). Both carry a role: `viewer` reads, `admin` changes things.
 * - Without credentials a page (GET outside /api) redirects to /login; anything else answers 401 JSON.
 *   A signed-in user without the role gets 403.
 * - Every state-changing request (not GET/HEAD/OPTIONS) made with the session cookie, or with no credentials
 *   at all, must carry the CSRF token: forms put `reply.generateCsrf()` in a hidden `_csrf` field, scripts send
 *   it as `x-csrf-token`. Bearer-token calls are exempt (no ambient credential); `csrf: false` opts a public
 *   route out.
 * - A handler reads the caller from `request.principal` (`actor` is what goes into audit_log).
 * - `requireRole('admin')` is the same check as a preHandler, for a route that sets it up by hand.
 */
import type {} from '@fastify/cookie';
import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Db } from '../../db/client.ts';
import { findLiveApiToken, touchApiToken } from '../../db/queries/api-tokens.ts';
import type { ApiTokenRow } from '../../db/queries/api-tokens.ts';
import { getUser } from '../../db/queries/users.ts';
import type { Role, UserRow } from '../../db/queries/users.ts';
import { hashApiToken, TOKEN_PREFIX } from './api-tokens.ts';
import { SESSION_COOKIE, verifySession } from './session.ts';

export type AuthLevel = 'public' | Role;

/** The caller of a request: a signed-in user or an API token. */
export type Principal =
  | { kind: 'session'; role: Role; actor: string; user: UserRow }
  | { kind: 'token'; role: Role; actor: string; token: ApiTokenRow };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default `'viewer'` for GET/HEAD, `'admin'` otherwise). */
    auth?: AuthLevel;
    /** `false`: no CSRF check (a public route reached from outside, such as one-click unsubscribe). */
    csrf?: boolean;
    /** Open to an admin who must enrol a second factor (AUTH_REQUIRE_2FA) and has not yet. */
    before2fa?: boolean;
  }
  interface FastifyRequest {
    /** The caller, once `authenticate` ran (every non-public route runs it first). */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route as the auth layer saw it (the route sweep test walks this). */
    routeTable: RouteEntry[];
  }
}

/** A route and the access it got. */
export interface RouteEntry {
  method: string;
  url: string;
  auth: AuthLevel;
  csrf: boolean;
}

/** What the auth layer needs. */
export interface AuthDeps {
  config: Config;
  db: Db;
  secret: string;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const resolved = new WeakSet<FastifyRequest>();

/** The level a route gets: its own, or the closed default for its method. */
export function routeLevel(method: string | string[], declared: AuthLevel | undefined): AuthLevel {
  if (declared) return declared;
  const methods = Array.isArray(method) ? method : [method];
  return methods.every((m) => SAFE.has(m.toUpperCase())) ? 'viewer' : 'admin';
}

/** Finds the caller from the bearer token or the session cookie (once per request). */
export async function authenticate(req: FastifyRequest, deps: AuthDeps): Promise<Principal | null> {
  if (resolved.has(req)) return req.principal;
  resolved.add(req);
  req.principal = await findPrincipal(req, deps);
  return req.principal;
}

async function findPrincipal(req: FastifyRequest, deps: AuthDeps): Promise<Principal | null> {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m || !m[1]!.startsWith(TOKEN_PREFIX)) return null;
    const token = await findLiveApiToken(deps.db, hashApiToken(m[1]!));
    if (!token) return null;
    // One write a minute at most, not one per call.
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) await touchApiToken(deps.db, token.id);
    return { kind: 'token', role: token.role, actor: `token:${token.name}`, token };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return null;
  const claims = await verifySession(cookie, { secret: deps.secret, purpose: 'session', config: deps.config });
  if (!claims) return null;
  const user = await getUser(deps.db, claims.userId);
  if (!user || user.disabled || user.sessionVersion !== claims.sv) return null;
  return { kind: 'session', role: user.role, actor: `user:${user.email ?? user.username}`, user };
}

/** Whether the request wants a page (a redirect to /login) rather than a JSON answer. */
export function wantsPage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  // The API's documentation is a page for people (/api/docs), its JSON form is not.
  return !req.url.startsWith('/api/') || req.url === '/api/docs' || req.url.startsWith('/api/docs?');
}

function deny(req: FastifyRequest, reply: FastifyReply, status: 401 | 403, message: string) {
  if (status === 401 && wantsPage(req)) {
    return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 302);
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).send({ error: status === 401 ? 'unauthorized' : 'forbidden', message });
}

/** The preHandler that lets a caller of at least `role` through (401 / redirect without one, 403 below it). */
export function requireRole(role: Role, deps: AuthDeps, opts: { before2fa?: boolean } = {}): preHandlerHookHandler {
  return async function roleGate(req, reply) {
    const p = await authenticate(req, deps);
    if (!p) return deny(req, reply, 401, 'sign in or send an API token');
    if (role === 'admin' && p.role !== 'admin') return deny(req, reply, 403, 'this needs the admin role');
    if (
      p.kind === 'session' &&
      p.role === 'admin' &&
      deps.config.web.requireAdmin2fa &&
      !p.user.totpEnabledAt &&
      !opts.before2fa
    ) {
      if (wantsPage(req)) return reply.redirect('/account/2fa', 302);
      return deny(req, reply, 403, 'enrol a second factor first (AUTH_REQUIRE_2FA)');
    }
  };
}

/**
 * Installs the auth layer on the root instance, before any route: every route registered afterwards gets
 * the gate of its level and, for state changes, the CSRF check (see the module comment). Routes under
 * `publicPrefixes` are public whatever their config says.
 */
export function installAuth(app: FastifyInstance, deps: AuthDeps, opts: { publicPrefixes?: string[] } = {}): void {
  app.decorateRequest('principal', null);
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { auth?: AuthLevel; csrf?: boolean; before2fa?: boolean };
    // Plugins' routes that cannot carry a config (@fastify/static's files) are public by their prefix.
    const publicByPrefix = opts.publicPrefixes?.some((p) => route.url.startsWith(p)) ?? false;
    const level = publicByPrefix ? 'public' : routeLevel(route.method, config.auth);
    const pre: preHandlerHookHandler[] = [];
    if (level === 'public') {
      // Public routes still learn who is calling (the login page redirects a signed-in user).
      pre.push(async (req) => {
        await authenticate(req, deps);
      });
    } else {
      pre.push(requireRole(level, deps, { before2fa: config.before2fa === true }));
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (config.csrf !== false && methods.some((m) => !SAFE.has(m.toUpperCase()))) pre.push(csrfCheck(app));
    const own = route.preHandler ? (Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]) : [];
    route.preHandler = [...pre, ...own];
    route.config = { ...config, auth: level } as typeof route.config;
    const checked = config.csrf !== false && methods.some((m) => !SAFE.has(m.toUpperCase()));
    for (const method of methods)
      table.push({ method: method.toUpperCase(), url: route.url, auth: level, csrf: checked });
  });
}

function csrfCheck(app: FastifyInstance): preHandlerHookHandler {
  return function csrf(req, reply, done) {
    if (req.principal?.kind === 'token') return done();
    app.csrfProtection(req, reply, done);
  };
}
