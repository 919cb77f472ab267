import { Layout, Notice } from './layout.tsx';
import type { PageContext } from './layout.tsx';

/** The sign-in form; with no user at all, the command that creates the first admin. */
export function LoginPage(props: {
  ctx: PageContext;
  email?: string;
  next: string;
  error?: string;
  info?: string;
  noUsers: boolean;
}) {
  const { ctx, next } = props;
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t('login.title')}>
      <section className="card narrow">
        <h1>{t('login.title')}</h1>
        {props.noUsers && (
          <div className="notice info" role="status">
            <p>{t('login.noUsers')}</p>
            <pre>
              <code>finrep user add you@example.com --role admin</code>
            </pre>
          </div>
        )}
        {props.error && <Notice kind="error">{props.error}</Notice>}
        {props.info && <Notice kind="info">{props.info}</Notice>}
        <form method="post" action="/login" className="stack">
          <input type="hidden" name="_csrf" value={ctx.csrf} />
          <input type="hidden" name="next" value={next} />
          <label>
            {t('login.email')}
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              defaultValue={props.email ?? ''}
              autoFocus={!props.email}
            />
          </label>
          <label>
            {t('login.password')}
            <input type="password" name="password" autoComplete="current-password" required autoFocus={!!props.email} />
          </label>
          <button type="submit">{t('login.submit')}</button>
        </form>
      </section>
    </Layout>
  );
}

/** The second step: the TOTP code. */
export function TwoFactorPage(props: { ctx: PageContext; next: string; error?: string }) {
  const { ctx } = props;
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t('twofa.title')}>
      <section className="card narrow">
        <h1>{t('twofa.title')}</h1>
        <p>{t('twofa.prompt')}</p>
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <form method="post" action="/login/2fa" className="stack">
          <input type="hidden" name="_csrf" value={ctx.csrf} />
          <input type="hidden" name="next" value={props.next} />
          <label>
            {t('twofa.code')}
            <input
              type="text"
              name="code"
              inputMode="numeric"
              pattern="[0-9 ]{6,7}"
              maxLength={7}
              autoComplete="one-time-code"
              required
              autoFocus
            />
          </label>
          <button type="submit">{t('twofa.submit')}</button>
        </form>
        <p className="muted">
          <a href="/login">{t('twofa.back')}</a>
        </p>
      </section>
    </Layout>
  );
}
