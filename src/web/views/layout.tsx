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
}

/** The frame of every page: header with navigation and the language switch, then the content. */
export function Layout({ ctx, title, children }: { ctx: PageContext; title: string; children: ReactNode }) {
  const { t, user } = ctx;
  return (
    <html lang={ctx.lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · ${t('app.name')}`}</title>
        <link rel="stylesheet" href="/static/app.css" />
      </head>
      <body>
        <header className="top">
          <a className="brand" href="/">
            {t('app.name')}
          </a>
          <nav>
            {user && (
              <>
                <a href="/">{t('nav.home')}</a>
                <a href="/account">{t('nav.account')}</a>
              </>
            )}
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
