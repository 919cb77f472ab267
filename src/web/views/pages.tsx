import { Layout } from './layout.tsx';
import type { PageContext } from './layout.tsx';

/** The start page after signing in (the console's dashboard comes in a later issue). */
export function HomePage({ ctx }: { ctx: PageContext }) {
  const { t, user } = ctx;
  return (
    <Layout ctx={ctx} title={t('home.title')}>
      <section className="card">
        <h1>{t('home.title')}</h1>
        <p>{t('home.welcome', { email: user?.email ?? '' })}</p>
        <p>{t('home.role', { role: user ? t(user.role === 'admin' ? 'role.admin' : 'role.viewer') : '' })}</p>
        <p className="muted">{t('home.soon')}</p>
      </section>
    </Layout>
  );
}

/** An error page: the status and one sentence, never a stack or a secret. */
export function ErrorPage({ ctx, status, message }: { ctx: PageContext; status: number; message: string }) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t('error.title')}>
      <section className="card narrow">
        <h1>
          {status} · {t('error.title')}
        </h1>
        <p>{message}</p>
        <p>
          <a href="/">{t('error.back')}</a>
        </p>
      </section>
    </Layout>
  );
}
