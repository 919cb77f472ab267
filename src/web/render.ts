import type { FastifyReply, FastifyRequest } from 'fastify';
import type { createElement, ReactElement } from 'react';
import { isLang, LANG_COOKIE, pickLang, translator } from './i18n/index.ts';
import type { Lang } from './i18n/index.ts';
import type { PageContext } from './views/layout.tsx';

declare module 'fastify' {
  interface FastifyRequest {
    /** The page language (the switch's cookie, else Accept-Language, else zh-CN). */
    lang: Lang;
  }
}

/** The language of a request, set by the server's onRequest hook; `?lang=` switches and is remembered. */
export function requestLang(req: FastifyRequest, reply: FastifyReply): Lang {
  const asked = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(asked)) {
    reply.setCookie(LANG_COOKIE, asked, { path: '/', sameSite: 'lax', maxAge: 365 * 86_400, httpOnly: true });
    return asked;
  }
  return pickLang(req.cookies[LANG_COOKIE], req.headers['accept-language']);
}

/** The time zone pages show times in: the configured TZ (the edition's zone), set by the server. */
function timeZoneOf(req: FastifyRequest): string {
  return (req.server as { finrepTimeZone?: string }).finrepTimeZone ?? 'Asia/Shanghai';
}

/** What a view needs to know about the request. */
export function pageContext(req: FastifyRequest, reply: FastifyReply): PageContext {
  const p = req.principal;
  const user = p?.kind === 'session' ? { email: p.user.email ?? p.user.username, role: p.role } : null;
  const url = new URL(req.url, 'http://x');
  url.searchParams.set('lang', req.lang === 'en' ? 'zh-CN' : 'en');
  return {
    lang: req.lang,
    t: translator(req.lang),
    user,
    csrf: reply.generateCsrf(),
    switchHref: `${url.pathname}${url.search}`,
    path: url.pathname,
    timeZone: timeZoneOf(req),
  };
}

/**
 * Builds a page: `h` is React's `createElement`, and the view's module is imported inside, so that React and
 * the views load with the first page served instead of at start-up.
 * @example sendPage(reply, async (h) => h((await import('./views/pages.tsx')).HomePage, { ctx }))
 */
export type PageBuilder = (h: typeof createElement) => ReactElement | Promise<ReactElement>;

interface Renderer {
  h: typeof createElement;
  render: (page: ReactElement) => string;
}

let renderer: Promise<Renderer> | undefined;

/** React and its server renderer (~0.1 s of CPU to import): loaded once, when the first page is rendered. */
function loadRenderer(): Promise<Renderer> {
  renderer ??= Promise.all([import('react'), import('react-dom/server')]).then(([react, server]) => ({
    h: react.createElement,
    render: server.renderToStaticMarkup,
  }));
  return renderer;
}

/** Sends a server-rendered page (React escapes every text and attribute). */
export async function sendPage(reply: FastifyReply, page: PageBuilder, status = 200): Promise<FastifyReply> {
  const { h, render } = await loadRenderer();
  const html = render(await page(h));
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html>${html}`);
}

/** A local path to go to after signing in: only same-site paths, never `//host` or a scheme. */
export function safeNext(v: unknown): string {
  if (typeof v !== 'string' || !v.startsWith('/') || v.startsWith('//') || v.startsWith('/\\')) return '/';
  // Browsers drop tabs and line breaks from a URL before resolving it: `/\t/evil.example` would become
  // `//evil.example`, another site. No control character at all, then.
  if ([...v].some((c) => c < ' ' || c === '\u007f') || v.length > 2000) return '/';
  return v;
}
