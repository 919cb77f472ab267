import { Layout, Notice } from './layout.tsx';
import type { PageContext } from './layout.tsx';

/** The signed-in user's own page: password and second factor. */
export function AccountPage(props: { ctx: PageContext; totpSince: string | null; error?: string; info?: string }) {
  const { ctx } = props;
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t('account.title')}>
      <section className="card">
        <h1>{t('account.title')}</h1>
        <p>{ctx.user?.email}</p>
        {props.error && <Notice kind="error">{props.error}</Notice>}
        {props.info && <Notice kind="info">{props.info}</Notice>}
        <h2>{t('account.password')}</h2>
        <form method="post" action="/account/password" className="stack">
          <input type="hidden" name="_csrf" value={ctx.csrf} />
          <label>
            {t('account.current')}
            <input type="password" name="current" autoComplete="current-password" required />
          </label>
          <label>
            {t('account.new')}
            <input type="password" name="password" autoComplete="new-password" minLength={10} required />
          </label>
          <label>
            {t('account.confirm')}
            <input type="password" name="confirm" autoComplete="new-password" minLength={10} required />
          </label>
          <button type="submit">{t('account.save')}</button>
        </form>
        <h2>{t('account.2fa')}</h2>
        {props.totpSince ? (
          <p>{t('account.2faOn', { since: props.totpSince })}</p>
        ) : (
          <p>
            {t('account.2faOff')} <a href="/account/2fa">{t('account.2faSetup')}</a>
          </p>
        )}
      </section>
    </Layout>
  );
}

/** Enrolment: the QR code (an SVG drawn on the server), the key as text, and the confirming code. */
export function EnrolPage(props: {
  ctx: PageContext;
  qr: string;
  secret: string;
  sealed: string;
  required: boolean;
  error?: string;
}) {
  const { ctx } = props;
  const { t } = ctx;
  const grouped = props.secret.match(/.{1,4}/g)?.join(' ') ?? props.secret;
  return (
    <Layout ctx={ctx} title={t('enrol.title')}>
      <section className="card narrow">
        <h1>{t('enrol.title')}</h1>
        {props.required && <Notice kind="info">{t('enrol.required')}</Notice>}
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <p>{t('enrol.scan')}</p>
        <img className="qr" src={props.qr} alt="otpauth QR" width={200} height={200} />
        <p>
          {t('enrol.secret')}: <code className="secret">{grouped}</code>
        </p>
        <form method="post" action="/account/2fa" className="stack">
          <input type="hidden" name="_csrf" value={ctx.csrf} />
          <input type="hidden" name="sealed" value={props.sealed} />
          <label>
            {t('enrol.confirm')}
            <input
              type="text"
              name="code"
              inputMode="numeric"
              pattern="[0-9 ]{6,7}"
              maxLength={7}
              autoComplete="one-time-code"
              required
            />
          </label>
          <button type="submit">{t('enrol.submit')}</button>
        </form>
      </section>
    </Layout>
  );
}
