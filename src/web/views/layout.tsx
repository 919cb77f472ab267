import type { ReactNode } from 'react';
import type { Lang, MessageKey } from '../i18n/index.ts';

/** What every page knows: the language, its translator, the signed-in user and the request's path. */
export interface PageContext {
  lang: Lang;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  user: { email: string; role: 'admin' | 'viewer' } | null;
  /** A CSRF token for the forms of the page (the sign-out button needs one). */
  csrf: string;
  /** The address of the same page in the other language. */
  switchHref: string;
  /** The request's path (the navigation marks its section). */
  path: string;
  /** The zone times are shown in (config TZ). */
  timeZone: string;
}

/** The console's sections, in the order of the navigation; `match` marks the current one by path. */
const SECTIONS: { href: string; key: MessageKey; match: RegExp }[] = [
  { href: '/', key: 'nav.dashboard', match: /^\/$/ },
  { href: '/runs', key: 'nav.runs', match: /^\/runs(\/|$)/ },
  { href: '/reports', key: 'nav.reports', match: /^\/reports(\/|$)/ },
  { href: '/sources', key: 'nav.sources', match: /^\/sources(\/|$)/ },
  { href: '/articles', key: 'nav.articles', match: /^\/(articles|companies|stories)(\/|$)/ },
  { href: '/words', key: 'nav.words', match: /^\/words(\/|$)/ },
  { href: '/recipients', key: 'nav.recipients', match: /^\/recipients(\/|$)/ },
  { href: '/deliveries', key: 'nav.deliveries', match: /^\/deliveries(\/|$)/ },
  { href: '/channels', key: 'nav.channels', match: /^\/channels(\/|$)/ },
  { href: '/alerts', key: 'nav.alerts', match: /^\/alerts(\/|$)/ },
  { href: '/settings', key: 'nav.settings', match: /^\/settings(\/|$)/ },
  { href: '/admin/status', key: 'nav.status', match: /^\/admin\/status(\/|$)/ },
  { href: '/admin/usage', key: 'nav.usage', match: /^\/admin\/usage(\/|$)/ },
  { href: '/audit', key: 'nav.audit', match: /^\/audit(\/|$)/ },
];

/** The frame of every page: header with navigation and the language switch, then the content. */
export function Layout({
  ctx,
  title,
  children,
  scripts = [],
}: {
  ctx: PageContext;
  title: string;
  children: ReactNode;
  /** Scripts of the page, from /static/ (no inline script: the CSP forbids it), e.g. `['charts.js']`. */
  scripts?: string[];
}) {
  const { t, user } = ctx;
  return (
    <html lang={ctx.lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · ${t('app.name')}`}</title>
        <link rel="stylesheet" href="/static/app.css" />
        {ctx.user && <script src="/static/console.js" defer />}
        {scripts.includes('charts.js') && <script src="/static/echarts.min.js" defer />}
        {scripts.map((s) => (
          <script key={s} src={`/static/${s}`} defer />
        ))}
      </head>
      <body>
        <header className="top">
          <a className="brand" href="/">
            {t('app.name')}
          </a>
          <nav className="user">
            {user && <a href="/account">{t('nav.account')}</a>}
            <a className="lang" href={ctx.switchHref} hrefLang={ctx.lang === 'en' ? 'zh-CN' : 'en'}>
              {t('lang.switch')}
            </a>
            {user && (
              <form method="post" action="/logout" className="inline">
                <input type="hidden" name="_csrf" value={ctx.csrf} />
                <button type="submit" className="link" title={`${t('nav.signedInAs')} ${user.email}`}>
                  {t('nav.logout')}
                </button>
              </form>
            )}
          </nav>
        </header>
        {user && (
          <nav className="sections" aria-label={t('nav.menu')}>
            {SECTIONS.map((s) => (
              <a key={s.href} href={s.href} aria-current={s.match.test(ctx.path) ? 'page' : undefined}>
                {t(s.key)}
              </a>
            ))}
          </nav>
        )}
        <main>{children}</main>
      </body>
    </html>
  );
}

/** A notice above a form: `error` in red, `info` in blue. */
export function Notice({ kind, children }: { kind: 'error' | 'info'; children: ReactNode }) {
  return (
    <p className={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}
